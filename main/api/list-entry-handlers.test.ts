import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FilterStatus } from '../../shared/contract.js';
import { inlineInsightReads } from '../insight/insight-reads.js';
import { AdminQueries } from '../store/admin-queries.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';

const T0 = 1_800_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const status: FilterStatus = { state: 'running', pid: 1, endpoints: { tcp: '127.0.0.1:10023' }, startedAt: T0, version: 'test', restarts: 0, message: '' };

/** The list handlers over a real temporary database; no filter is needed to add and read entries. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-list-handlers-'));
  const store = new SqliteStore(openDatabase(join(dir, 'g.db')));
  // A new database starts with the postmaster@ and abuse@ defaults; these tests look only at what lists.add stores.
  store.db.prepare("DELETE FROM list_entries WHERE source = 'default'").run();
  const handlers = createHandlers({
    store,
    queries: new AdminQueries(store.db),
    supervisor: { status: () => status, restart: async () => status },
    checker: { explain: () => Promise.reject(new Error('no filter in this test')) },
    insight: inlineInsightReads(store),
    clock: () => T0,
  });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const add = (entry: Record<string, unknown>) => dispatch(handlers, 'lists.add', { entries: [{ list: 'allow', kind: 'client-address', pattern: '192.0.2.1', ...entry }], source: 'ui' });
  return { store, add, call: (name: string, payload: unknown) => dispatch(handlers, name, payload) };
}

describe('lists.add refuses what would break the lists or all mail, and stores nothing of it', () => {
  it.each([
    [{ expiresAt: Number.MAX_SAFE_INTEGER }, /at most 10 years/],
    [{ expiresAt: T0 + 3651 * 86_400 }, /at most 10 years/],
    [{ expiresAt: -5 }, /negative/],
    [{ expiresAt: T0 - 1 }, /already past/],
    [{ list: 'deny', kind: 'sender-pattern', pattern: '//' }, /empty/],
    [{ list: 'deny', kind: 'sender-pattern', pattern: '.*' }, /matches the empty string.*deny list/],
    [{ list: 'deny', kind: 'recipient-pattern', pattern: '@' }, /matches every address/],
    [{ list: 'deny', kind: 'client-address', pattern: '0.0.0.0/0' }, /every IPv4 client/],
    [{ kind: 'client-address', pattern: 'fe80::1%eth0' }, /zone/],
    [{ kind: 'client-address', pattern: '3221225991' }, /not an IPv4 or IPv6/],
    [{ kind: 'sender-address', pattern: 'alice\u0000@example.com' }, /control character \\x00/],
    [{ comment: 'partner\u001b[2J' }, /control character \\x1b/],
  ])('%j', async (entry, message) => {
    const { add, store } = await setup();
    const result = await add(entry);
    expect(result).toMatchObject({ ok: false, error: { message: 'the entry is not valid; nothing was added' } });
    expect(result.ok ? '' : [result.error.message, ...(result.error.details ?? [])].join('\n')).toMatch(message);
    expect(await store.listEntries()).toEqual([]);
  });

  it('keeps an expiry within ten years and an IDN domain as punycode', async () => {
    const { add, call } = await setup();
    expect(await add({ expiresAt: T0 + 3650 * 86_400 })).toMatchObject({ ok: true, value: { added: 1 } });
    expect(await add({ kind: 'sender-domain', pattern: 'Bücher.example', comment: 'two lines\nof comment' })).toMatchObject({ ok: true, value: { added: 1 } });
    const listed = await call('lists.get', {});
    expect(listed).toMatchObject({ ok: true, value: [{ pattern: '192.0.2.1', expiresAt: T0 + 3650 * 86_400 }, { pattern: 'xn--bcher-kva.example' }] });
  });

  it('reads back any expiry stored by other means', async () => {
    const { call, store } = await setup();
    const insert = store.db.prepare("INSERT INTO list_entries (list, kind, pattern, created_at, expires_at) VALUES ('allow', 'client-address', ?, 0, ?)");
    insert.run('192.0.2.1', 9223372036854775807n);
    insert.run('192.0.2.2', -9223372036854775808n);
    insert.run('192.0.2.3', Number.MAX_SAFE_INTEGER);
    const listed = await call('lists.get', {});
    expect(listed).toMatchObject({ ok: true });
    expect((listed as { value: unknown[] }).value).toHaveLength(3);
  });
});

it('counts the entries refused among several in the right number', async () => {
  const { call } = await setup();
  const entry = (pattern: string) => ({ list: 'allow', kind: 'client-address', pattern });
  const one = await call('lists.add', { entries: [entry('192.0.2.1'), entry('192.0.2.300'), entry('192.0.2.3')], source: 'ui' });
  expect(one).toMatchObject({ ok: false, error: { message: '1 of 3 entries is not valid; nothing was added' } });
  const two = await call('lists.add', { entries: [entry('192.0.2.1'), entry('192.0.2.300'), entry('x')], source: 'ui' });
  expect(two).toMatchObject({ ok: false, error: { message: '2 of 3 entries are not valid; nothing was added' } });
});

describe('lists.edit changes an entry in place, checked as lists.add checks it', () => {
  it('keeps its id, list, kind and source, and reads back with the change', async () => {
    const { add, call } = await setup();
    await add({ comment: 'old' });
    const id = ((await call('lists.get', {})) as { value: Array<{ id: number }> }).value[0]!.id;
    const edited = await call('lists.edit', { id, pattern: '192.0.2.0/24', comment: 'the whole network', expiresAt: T0 + 86_400 });
    expect(edited).toEqual({
      ok: true,
      value: { id, list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', comment: 'the whole network', source: 'ui', createdAt: T0, expiresAt: T0 + 86_400, hits: 0, lastHitAt: null },
    });
    expect(await call('lists.get', {})).toMatchObject({ ok: true, value: [{ id, pattern: '192.0.2.0/24' }] });
  });

  it.each([
    [{ pattern: '0.0.0.0/0' }, /every IPv4 client/],
    [{ expiresAt: T0 - 1 }, /already past/],
    [{ comment: 'x\u0007' }, /control character/],
  ])('refuses %j on the deny list with the reason', async (change, message) => {
    const { add, call, store } = await setup();
    await add({ list: 'deny' });
    const before = await store.listEntries();
    const result = await call('lists.edit', { id: before[0]!.id, ...change });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error.message).toMatch(message);
    expect(await store.listEntries()).toEqual(before);
  });

  it('refuses an id that is not a positive whole number before reaching the store', async () => {
    const { call } = await setup();
    expect(await call('lists.edit', { id: 0, comment: 'x' })).toMatchObject({ ok: false, error: { message: 'invalid lists.edit request' } });
  });
});
