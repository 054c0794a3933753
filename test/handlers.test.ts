import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FilterStatus } from '../shared/contract.js';
import { FilterService } from '../main/filter/filter-service.js';
import { quietLog } from '../main/filter/log.js';
import type { PolicyRequest } from '../main/filter/policy-protocol.js';
import { AdminQueries } from '../main/store/admin-queries.js';
import type { AdminReads } from '../main/store/admin-reads.js';
import { PgAdminQueries } from '../main/store/postgres/pg-admin-queries.js';
import { PgStore } from '../main/store/postgres/pg-store.js';
import { startPgCluster, postgresAvailability, type PgCluster } from './support/pg-cluster.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { openDatabase } from '../main/store/database.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { dispatch } from '../main/api/dispatch.js';
import { createHandlers } from '../main/api/handlers.js';
import { inlineInsightReads, type InsightReads } from '../main/insight/insight-reads.js';
import { startLivePump } from '../main/api/live-pump.js';

const T0 = 1_800_000_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const status: FilterStatus = { state: 'running', pid: 1, endpoints: { tcp: '127.0.0.1:10023' }, startedAt: T0, version: 'test', restarts: 0, message: '' };

/** Where the handlers' database lives: a file, or a throw-away PostgreSQL cluster's database. */
const KINDS = ['SQLite', 'PostgreSQL'] as const;
type Kind = (typeof KINDS)[number];
let cluster: PgCluster | undefined;

async function openStore(kind: Kind): Promise<{ store: SqliteStore | PgStore; queries: AdminReads; insight?: InsightReads }> {
  if (kind === 'PostgreSQL') {
    const store = await PgStore.open(await cluster!.createDatabase());
    return { store, queries: new PgAdminQueries(store.sql) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'greyward-handlers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore(openDatabase(join(dir, 'g.db')));
  return { store, queries: new AdminQueries(store.db), insight: inlineInsightReads(store) };
}

/** A real filter service and the handlers over one temporary database, with a clock the test moves. */
async function setupOn(kind: Kind) {
  const { store, queries, insight } = await openStore(kind);
  const clock = { now: T0 };
  const filter = await FilterService.start({ store, log: quietLog(), productVersion: 'test', clock: () => clock.now, expiryIntervalMs: 0 });
  const handlers = createHandlers({ store, queries, supervisor: { status: () => status, restart: async () => status }, checker: filter, ...(insight ? { insight } : {}), clock: () => clock.now });
  cleanups.push(async () => {
    await filter.stop();
    await store.close();
  });
  const ask = async (over: Partial<PolicyRequest>) => {
    const reply = await filter.answer({
      protocolState: 'RCPT', clientAddress: '192.0.2.10', clientName: 'mail.example.com', reverseClientName: 'mail.example.com', helo: 'mail.example.com',
      sender: 'alice@example.com', recipient: 'bob@example.net', queueId: '', instance: '', ...over,
    });
    await filter.settle();
    return reply;
  };
  const call = async (name: string, payload: unknown) => dispatch(handlers, name, payload);
  return { store, queries, clock, ask, call, filter };
}

// One suite, two stores: the screens behave the same on a database file and on a shared PostgreSQL database.
for (const kind of KINDS) {
describe(`on ${kind}`, () => {
  if (kind === 'PostgreSQL') {
    if (!prerequisitesMet(missingOf([postgresAvailability()]))) return;
    beforeAll(async () => {
      cluster = await startPgCluster();
    });
    afterAll(async () => cluster?.destroy());
  }
  const setup = () => setupOn(kind);

describe('handlers', () => {
  it('turn a malformed payload and an unknown request into errors as data', async () => {
    const { call } = await setup();
    expect(await call('triplets.page', { sort: 'lastSeen', offset: -5 })).toMatchObject({ ok: false, error: { message: 'invalid triplets.page request', details: expect.arrayContaining([expect.stringMatching(/^offset: /)]) } });
    expect(await call('drop.tables', {})).toEqual({ ok: false, error: { message: 'unknown request "drop.tables"' } });
  });

  it('page triplets with their state and time left, and pass one now so its next retry passes', async () => {
    const { ask, call, clock } = await setup();
    await ask({});
    await ask({ recipient: 'carol@example.net' });
    clock.now += 60;
    const page = await call('triplets.page', { sort: 'recipient', descending: false, offset: 0, limit: 10, state: 'waiting' });
    expect(page).toMatchObject({ ok: true, value: { total: 2, rows: [{ recipient: 'bob@example.net', state: 'waiting', secondsLeft: 240, attempts: 1 }, { recipient: 'carol@example.net' }] } });
    const id = (page as { value: { rows: Array<{ id: number }> } }).value.rows[0]!.id;
    expect(await call('triplets.passNow', { ids: [id] })).toEqual({ ok: true, value: { updated: 1 } });
    expect(await ask({})).toBe('DUNNO');
    expect(await ask({ recipient: 'carol@example.net' })).toMatch(/^DEFER_IF_PERMIT/);
    const detail = await call('triplets.get', { id });
    expect(detail).toMatchObject({ ok: true, value: { triplet: { state: 'passed' }, attempts: [{ action: 'defer', attemptNumber: 1 }, { action: 'pass', reason: 'known', attemptNumber: 2 }] } });
    expect(await call('triplets.page', { sort: 'lastSeen', descending: true, offset: 0, limit: 10, search: 'CAROL' })).toMatchObject({ ok: true, value: { total: 1 } });
    expect(await call('triplets.delete', { ids: [id] })).toEqual({ ok: true, value: { deleted: 1 } });
  });

  it('add list entries all or none, naming the bad ones, and the filter applies them', async () => {
    const { ask, call, filter } = await setup();
    const bad = await call('lists.add', { entries: [{ list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24' }, { list: 'allow', kind: 'client-address', pattern: '192.0.2.0/33' }], source: 'ui' });
    expect(bad).toMatchObject({ ok: false, error: { message: '1 of 2 entries is not valid; nothing was added', details: [expect.stringMatching(/^entry 2: .*prefix length/)] } });
    const own = async (list?: 'allow') => ((await call('lists.get', list ? { list } : {})) as { value: Array<{ source: string }> }).value.filter((e) => e.source !== 'default');
    expect(await own()).toEqual([]);
    expect(await call('lists.add', { entries: [{ list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', comment: 'partner' }], source: 'ui' })).toEqual({ ok: true, value: { added: 1, duplicates: 0 } });
    await filter.reload();
    expect(await ask({})).toBe('DUNNO');
    expect(await own('allow')).toMatchObject([{ pattern: '192.0.2.0/24', comment: 'partner', source: 'ui', hits: 1 }]);
    // The default recipient entries have no place in a clients file.
    expect(await call('lists.export', { list: 'allow', format: 'postgrey-clients' })).toMatchObject({ ok: true, value: { text: expect.stringContaining('192.0.2.0/24'), skipped: 2 } });
  });

  it('save settings only when every change is valid', async () => {
    const { call } = await setup();
    expect(await call('settings.set', { changes: { delay: 60, clientPrefixV4: 99 } })).toMatchObject({ ok: false, error: { message: 'nothing was saved: some values are not valid', details: [expect.stringMatching(/^clientPrefixV4/)] } });
    expect(await call('settings.set', { changes: { delay: 60 } })).toMatchObject({ ok: true, value: { settings: { delay: 60 } } });
    const databasePath = kind === 'SQLite' ? /greyward-handlers-.*\/g\.db$/ : /^postgres:\/\/greyward@127\.0\.0\.1:\d+\/greyward_\w+$/;
    expect(await call('settings.get', {})).toMatchObject({ ok: true, value: { databasePath: expect.stringMatching(databasePath) } });
  });

  it('save settings only when they work together, with warnings for risky values and the ones that need a restart', async () => {
    const { call, ask } = await setup();
    expect(await call('settings.set', { changes: { delay: 600, retryWindow: 300 } })).toMatchObject({
      ok: false,
      error: { message: 'nothing was saved: some values are not valid', details: [expect.stringMatching(/retryWindow \(5m\) must be at least delay \+ 1h \(70m\)/)] },
    });
    expect(await call('settings.set', { changes: { socket: '/etc/passwd' } })).toMatchObject({ ok: false, error: { details: [expect.stringMatching(/\/etc\/passwd exists and is not a socket/)] } });
    expect(await call('settings.set', { changes: { deferReply: 'Later, {bogus}' } })).toMatchObject({ ok: false, error: { details: [expect.stringMatching(/unknown placeholder \{bogus\}/)] } });
    expect(await call('settings.get', {})).toMatchObject({ ok: true, value: { settings: {} } });
    expect(await ask({})).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');

    expect(await call('settings.set', { changes: { delay: 10, listen: '127.0.0.1:10099' } })).toMatchObject({
      ok: true,
      value: { settings: { delay: 10, listen: '127.0.0.1:10099' }, warnings: [expect.stringMatching(/^delay 10s is under 30s/)], restartNeeded: ['listen'] },
    });
  });

  it('explain a decision like greyward check, and sum up the day', async () => {
    const { ask, call, clock } = await setup();
    await ask({});
    await ask({ sender: 'other@example.org' });
    expect(await call('check.explain', { clientAddress: '192.0.2.10', clientName: '', sender: 'alice@example.com', recipient: 'bob@example.net' })).toMatchObject({ ok: true, value: { action: 'defer', reason: 'early' } });
    const overview = await call('overview.get', {});
    expect(overview).toMatchObject({ ok: true, value: { filter: status, today: { defer: 2, pass: 0 }, topDeferred: [{ deferrals: 1 }, { deferrals: 1 }] } });
    // A log younger than two hours is charted over the last hour, minute by minute; a range asked for is kept.
    expect((overview as { value: { chart: unknown } }).value.chart).toEqual({ range: '1h', bucketSeconds: 60, start: T0 - (T0 % 60) - 3540, buckets: [{ at: T0 - (T0 % 60), defer: 2, pass: 0, allow: 0, reject: 0 }], settingChanges: [] });
    const week = await call('overview.get', { range: '7d' });
    expect((week as { value: { chart: unknown } }).value.chart).toMatchObject({ range: '7d', bucketSeconds: 3600, buckets: [{ at: T0 - (T0 % 3600), defer: 2 }] });
    clock.now += 3 * 3600;
    expect(await call('overview.get', {})).toMatchObject({ ok: true, value: { chart: { range: '24h', bucketSeconds: 300, buckets: [{ at: T0 - (T0 % 300), defer: 2 }] } } });
    expect(await call('attempts.search', { query: 'other@', limit: 10 })).toMatchObject({ ok: true, value: [{ sender: 'other@example.org' }] });
  });
});

describe('attempts.deferrals (the Live deferrals screen on opening)', () => {
  it('tells for each deferral whether its mail got through since: on a retry, by Pass now, or by the allow list', async () => {
    const { ask, call, clock, filter } = await setup();
    await ask({ recipient: 'retries@example.net' });
    await ask({ recipient: 'passed-by-hand@example.net' });
    await ask({ recipient: 'allowed@example.net' });
    await ask({ recipient: 'still-waiting@example.net' });
    clock.now += 400;
    await ask({ recipient: 'retries@example.net' });
    const deferred = (await call('attempts.deferrals', { limit: 10 })) as { ok: true; value: { deferrals: Array<{ id: number; tripletId: number; recipient: string }> } };
    const byRecipient = (recipient: string) => deferred.value.deferrals.find((d) => d.recipient === recipient)!;
    expect(deferred.value.deferrals.map((d) => d.recipient)).toEqual(['retries@example.net', 'passed-by-hand@example.net', 'allowed@example.net', 'still-waiting@example.net']);
    clock.now += 10;
    expect(await call('triplets.passNow', { ids: [byRecipient('passed-by-hand@example.net').tripletId] })).toEqual({ ok: true, value: { updated: 1 } });
    await call('lists.add', { entries: [{ list: 'allow', kind: 'recipient-address', pattern: 'allowed@example.net' }], source: 'ui' });
    await filter.reload();
    clock.now += 10;
    expect(await ask({ recipient: 'allowed@example.net' })).toBe('DUNNO');
    const result = (await call('attempts.deferrals', { limit: 10 })) as { ok: true; value: { passed: unknown[] } };
    expect(result.value.passed).toEqual([
      { deferralId: byRecipient('retries@example.net').id, at: T0 + 400, by: 'retry' },
      { deferralId: byRecipient('passed-by-hand@example.net').id, at: T0 + 410, by: 'administrator' },
      { deferralId: byRecipient('allowed@example.net').id, at: T0 + 420, by: 'allow-list' },
    ]);
  });
});

describe('attempts.search (the Trace screen)', () => {
  it('finds the attempts of a client network, IPv4 or IPv6, and of the empty sender <>', async () => {
    const { ask, call } = await setup();
    for (const [clientAddress, sender] of [
      ['192.0.2.10', 'alice@example.com'],
      ['192.0.2.200', 'bob@example.org'],
      ['192.0.3.10', 'carol@example.com'],
      ['2001:db8:1:2::25', ''],
      ['2001:db8:1:2:ffff::1', 'dave@example.com'],
      ['2001:db8:1:3::25', 'erin@example.com'],
      ['2001:db8:0:2::25', 'frank@example.com'],
    ] as const) await ask({ clientAddress, sender });
    const found = async (query: string) => {
      const result = (await call('attempts.search', { query, limit: 100 })) as { ok: boolean; value: Array<{ clientAddress: string; sender: string }> };
      expect(result.ok, query).toBe(true);
      return result.value.map((a) => `${a.clientAddress} <${a.sender}>`).sort();
    };
    expect(await found('192.0.2.0/24')).toEqual(['192.0.2.10 <alice@example.com>', '192.0.2.200 <bob@example.org>']);
    expect(await found(' 192.0.0.0/16 ')).toHaveLength(3);
    expect(await found('192.0.2.128/25')).toEqual(['192.0.2.200 <bob@example.org>']);
    expect(await found('2001:db8:1:2::/64')).toEqual(['2001:db8:1:2::25 <>', '2001:db8:1:2:ffff::1 <dave@example.com>']);
    expect(await found('2001:DB8:1:0002:0:0:0:0/64')).toHaveLength(2);
    expect(await found('2001:db8:1:2:0:0:0:25')).toEqual(['2001:db8:1:2::25 <>']);
    // A zero group inside the network's prefix: the text pre-selection stops before it.
    expect(await found('2001:db8:0:2::/64')).toEqual(['2001:db8:0:2::25 <frank@example.com>']);
    expect(await found('2001:db8::/32')).toHaveLength(4);
    expect(await found('<>')).toEqual(['2001:db8:1:2::25 <>']);
  });
});

describe('live pump', () => {
  it('pushes only new attempts, in batches, from where it started', async () => {
    const { ask, queries } = await setup();
    await ask({ recipient: 'before@example.net' });
    const pushes: string[][] = [];
    const pump = startLivePump(queries, (attempts) => pushes.push(attempts.map((a) => a.recipient)), { intervalMs: 10, batch: 2 });
    cleanups.push(() => pump.stop());
    for (const n of [1, 2, 3]) await ask({ recipient: `r${n}@example.net` });
    await expect.poll(() => pushes.flat(), { timeout: 2000 }).toEqual(['r1@example.net', 'r2@example.net', 'r3@example.net']);
    expect(pushes.every((batch) => batch.length <= 2)).toBe(true);
  });
});
});
}
