import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminQueries } from './admin-queries.js';
import { openDatabase } from './database.js';
import type { DecisionWrite } from './greylist-store.js';
import { SqliteStore } from './sqlite-store.js';

const T0 = 1_800_000_000;
const timing = { delay: 300, retryWindow: 86_400, maxAge: 86_400 * 35 };

function decision(at: number, over: { address?: string; group?: string; name?: string; sender?: string; recipient?: string; queueId?: string }): DecisionWrite {
  const address = over.address ?? '192.0.2.10';
  const group = over.group ?? '192.0.2.0/24';
  const sender = over.sender ?? 'alice@example.com';
  const recipient = over.recipient ?? 'bob@example.net';
  return {
    attempt: {
      at, clientAddress: address, clientName: over.name ?? 'unknown', helo: 'helo.example', sender, recipient, queueId: over.queueId ?? '',
      action: 'defer', reason: 'new', rule: `triplet ${group} ${sender || '<>'} ${recipient}`, delay: 300,
    },
    triplet: { key: { clientGroup: group, sender: sender || '<>', recipient }, state: { firstSeen: at, lastSeen: at, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 } },
  };
}

async function greylist(writes: DecisionWrite[]) {
  const store = new SqliteStore(openDatabase(join(mkdtempSync(join(tmpdir(), 'greyward-search-')), 'g.db')));
  await store.commit(writes);
  return { store, queries: new AdminQueries(store.db) };
}

const page = (queries: AdminQueries, search: string) =>
  queries.tripletPage({ search, sort: 'firstSeen', descending: false, offset: 0, limit: 50 }, T0 + 10, timing);

describe('search through the distinct strings', () => {
  it('finds triplets by any part of sender, recipient or client network, in any case, and strings stored after the first search', async () => {
    const { store, queries } = await greylist([
      decision(T0, {}),
      decision(T0 + 1, { sender: 'Zoë@Bücher.example', recipient: 'carol@example.org' }),
      decision(T0 + 2, { address: '2001:db8::7', group: '2001:db8::/64', recipient: 'dave@example.org' }),
      decision(T0 + 3, { sender: '', recipient: 'postmaster@example.net' }),
    ]);
    const senders = (search: string) => page(queries, search).rows.map((row) => `${row.sender} ${row.recipient}`);
    expect(senders('BÜCHER')).toEqual(['zoë@bücher.example carol@example.org'.replace('zoë@bücher', 'Zoë@Bücher')]);
    expect(senders('example.org')).toEqual(['Zoë@Bücher.example carol@example.org', 'alice@example.com dave@example.org']);
    expect(senders('2001:db8::/6')).toEqual(['alice@example.com dave@example.org']);
    expect(senders('<>')).toEqual(['<> postmaster@example.net']);
    expect(page(queries, 'example').total).toBe(4);
    expect(page(queries, 'nowhere').rows).toEqual([]);
    await store.commit([decision(T0 + 4, { sender: 'newcomer@late.example' })]);
    expect(senders('late.example')).toEqual(['newcomer@late.example bob@example.net']);
    await store.close();
  });

  it('does not find a deleted triplet, nor the old key of an id handed out again', async () => {
    const { store, queries } = await greylist([decision(T0, {}), decision(T0 + 1, { sender: 'gone@old.example' })]);
    expect(page(queries, 'old.example').total).toBe(1);
    queries.deleteTriplets([2]);
    await store.commit([decision(T0 + 2, { sender: 'fresh@new.example' })]);
    expect(page(queries, 'old.example')).toMatchObject({ rows: [], total: 0 });
    expect(page(queries, 'new.example').rows.map((row) => row.sender)).toEqual(['fresh@new.example']);
    await store.close();
  });

  it('finds attempts by client address, network, the empty sender, queue id, and any part of a name or address', async () => {
    const { store, queries } = await greylist([
      decision(T0, { name: 'mx1.provider.example', queueId: 'ABC123' }),
      decision(T0 + 1, { address: '198.51.100.7', group: '198.51.100.0/24', sender: '' }),
      decision(T0 + 2, { address: '2001:db8::7', group: '2001:db8::/64', recipient: 'dave@example.org' }),
    ]);
    const found = (query: string) => queries.searchAttempts(query, 100).map((attempt) => attempt.id);
    expect(found('192.0.2.10')).toEqual([1]);
    expect(found('198.51.100.0/24')).toEqual([2]);
    expect(found('2001:db8::/64')).toEqual([3]);
    expect(found('<>')).toEqual([2]);
    expect(found('ABC123')).toEqual([1]);
    expect(found('PROVIDER')).toEqual([1]);
    expect(found('dave@')).toEqual([3]);
    expect(found('example')).toEqual([3, 2, 1]);
    await store.close();
  });
});
