import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { tripletKeyText } from './greylist-store.js';
import { KnownKeys } from './known-keys.js';
import { SqliteStore } from './sqlite-store.js';

const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
const key = (i: number) => ({ clientGroup: `198.51.100.0/24`, sender: `s${i}@example.org`, recipient: 'r@example.net' });
/** The triplets' client, with no counted passes stored. */
const client = '198.51.100.1';
const attempt = { at: 10, clientAddress: '198.51.100.1', clientName: 'unknown', helo: 'h', sender: 's', recipient: 'r', queueId: '', action: 'defer' as const, reason: 'new', rule: '', delay: 300 };

describe('KnownKeys', () => {
  it('knows nothing until it has read both tables to the end, in slices', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    await store.commit(Array.from({ length: 4500 }, (_, i) => ({ attempt, triplet: { key: key(i), state } })));
    const known = new KnownKeys(store.db, 100_000);
    expect(known.certainlyAbsent(key(99_999), client)).toBe(false);
    let slices = 1;
    while (!known.scanSlice()) {
      expect(known.certainlyAbsent(key(99_999), client)).toBe(false);
      slices++;
    }
    expect(slices).toBeGreaterThan(5);
    expect(known.certainlyAbsent(key(99_999), client)).toBe(true);
    expect(Array.from({ length: 4500 }, (_, i) => known.certainlyAbsent(key(i), client)).some(Boolean)).toBe(false);
  });

  it('reads a database file on a worker thread, keeping the keys added meanwhile', async () => {
    const store = new SqliteStore(openDatabase(join(mkdtempSync(join(tmpdir(), 'greyward-known-')), 'g.db')));
    await store.commit(Array.from({ length: 4500 }, (_, i) => ({ attempt, triplet: { key: key(i), state } })));
    const known = new KnownKeys(store.db, 100_000, { onWorker: true });
    expect(known.readingElsewhere).toBe(true);
    expect(known.scanSlice()).toBe(false);
    expect(known.certainlyAbsent(key(99_999), client)).toBe(false);
    known.add(tripletKeyText(key(50_000)), undefined);
    await expect.poll(() => known.complete, { timeout: 10_000 }).toBe(true);
    expect(known.readingElsewhere).toBe(false);
    expect(known.certainlyAbsent(key(99_999), client)).toBe(true);
    expect(known.certainlyAbsent(key(50_000), client)).toBe(false);
    expect(Array.from({ length: 4500 }, (_, i) => known.certainlyAbsent(key(i), client)).some(Boolean)).toBe(false);
    await store.close();
  });

  it('starts over once it holds more keys than it was sized for, and knows nothing until it has read the tables again', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const known = new KnownKeys(store.db, 10);
    known.scanSlice();
    for (let i = 0; i < 10; i++) known.add(tripletKeyText(key(i)), undefined);
    expect(known.certainlyAbsent(key(500), client)).toBe(true);
    await store.commit(Array.from({ length: 11 }, (_, i) => ({ attempt, triplet: { key: key(i), state } })));
    known.add(tripletKeyText(key(10)), undefined);
    expect(known.certainlyAbsent(key(500), client)).toBe(false);
    expect(known.scanSlice()).toBe(true);
    expect(known.certainlyAbsent(key(500), client)).toBe(true);
    expect(known.certainlyAbsent(key(10), client)).toBe(false);
  });
});
