import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import type { DecisionWrite } from './greylist-store.js';
import { MemoryLookups } from './memory-lookups.js';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-memory-'));
  dirs.push(dir);
  return join(dir, 'greyward.db');
};

const group = '192.0.2.0/24';
/** The client as auto-allow counts it: its address. */
const client = '192.0.2.1';
const key = (sender: string, clientGroup = group) => ({ clientGroup, sender, recipient: 'r@example.net' });
const state = (attempts: number) => ({ firstSeen: 10, lastSeen: 10 + attempts, attempts, earlyAttempts: 0, passedAt: 10, passes: attempts });
const passes = (n: number) => ({ client, passes: n, lastCountedAt: 10, lastSeen: 10 });
const decision = (sender: string, attempts: number, clientPasses?: number, clientGroup = group): DecisionWrite => ({
  attempt: { at: 10, clientAddress: '192.0.2.1', clientName: '', helo: '', sender, recipient: 'r@example.net', queueId: '', action: 'pass', reason: 'known', rule: '', delay: null },
  triplet: { key: key(sender, clientGroup), state: state(attempts) },
  ...(clientPasses === undefined ? {} : { clientPasses: passes(clientPasses) }),
});

/** Memory over a database, and a store standing for the app or another filter on the same file. */
function setUp() {
  const path = tempDb();
  const clock = { now: 1000 };
  const memory = new MemoryLookups(openDatabase(path), { self: { pid: 1, host: 'here' }, clock: () => clock.now, freshSeconds: 15 });
  const other = new SqliteStore(openDatabase(path));
  const read = (sender: string) => other.findGreylistState(key(sender), client);
  return { memory, other, clock, read, close: async () => (memory.stop(), await other.close()) };
}

const absent = { triplet: undefined, clientPasses: undefined };
/** A first contact from a network the database has never seen. */
const stranger = { clientGroup: '203.0.113.0/24', sender: 'stranger@example.org', recipient: 'r@example.net' };
const strangerClient = '203.0.113.5';

describe('lookups from memory', () => {
  it('never puts back an older state read while a newer one is being committed', async () => {
    const { memory, other, read, close } = setUp();
    await other.commit([decision('a', 1, 4), decision('b', 1)]);
    memory.read(key('a'), client, read('a'));
    expect(memory.find(key('a'), client)?.clientPasses).toEqual(passes(4));

    // A pass of "a" counts a fifth pass; before it is committed, "b" is read, and the database still says 4.
    const fifth = [decision('a', 2, 5)];
    const fifthKeys = memory.committing(fifth);
    memory.read(key('b'), client, read('b'));
    await other.commit(fifth);
    memory.settled(fifthKeys, false);
    expect(memory.find(key('a'), client)?.clientPasses).toEqual(passes(5));
    expect(memory.find(key('b'), client)?.clientPasses).toEqual(passes(5));

    // The same with nothing remembered of the network: the read during the commit is not kept.
    memory.expired();
    const sixth = [decision('a', 3, 6)];
    const sixthKeys = memory.committing(sixth);
    memory.read(key('b'), client, read('b'));
    await other.commit(sixth);
    memory.settled(sixthKeys, false);
    expect(memory.find(key('b'), client)).toBeUndefined();
    await close();
  });

  it('reads every lookup while another filter serves the database, and reads the stored keys again once it has gone', async () => {
    const { memory, other, clock, read, close } = setUp();
    await other.commit([decision('a', 1, 1)]);
    await expect.poll(() => memory.find(stranger, strangerClient), { timeout: 5000 }).toBeDefined();
    memory.read(key('a'), client, read('a'));
    expect(memory.find(key('a'), client)?.triplet).toEqual(state(1));

    await other.announce({ pid: 2, host: 'there', endpoints: {}, version: 'test', startedAt: clock.now, seenAt: clock.now }, true);
    await expect.poll(() => memory.find(key('a'), client), { timeout: 5000 }).toBeUndefined();
    expect(memory.find(stranger, strangerClient)).toBeUndefined();
    await other.commit([decision('added-meanwhile', 1, undefined, '198.51.100.0/24')]);

    // Its heartbeat stops: memory answers again, and knows what that filter added.
    clock.now += 60;
    await expect.poll(() => memory.find(stranger, strangerClient), { timeout: 5000 }).toBeDefined();
    expect(memory.find(stranger, strangerClient)).toEqual(absent);
    expect(memory.find(key('added-meanwhile', '198.51.100.0/24'), '198.51.100.1')).toBeUndefined();
    await close();
  });

  it('knows nothing of rows written behind its back until told to read again', async () => {
    const { memory, other, close } = setUp();
    await expect.poll(() => memory.find(stranger, strangerClient), { timeout: 5000 }).toBeDefined();
    await other.commit([decision('by-hand', 1, undefined, '198.51.100.0/24')]);
    const byHand = key('by-hand', '198.51.100.0/24');
    expect(memory.find(byHand, '198.51.100.1')).toEqual(absent);
    memory.reread();
    expect(memory.find(byHand, '198.51.100.1')).toBeUndefined();
    await expect.poll(() => memory.find(stranger, strangerClient), { timeout: 5000 }).toBeDefined();
    expect(memory.find(byHand, '198.51.100.1')).toBeUndefined();
    await close();
  });

  it('forgets what it remembers once expiry has deleted rows', async () => {
    const path = tempDb();
    const filter = new SqliteStore(openDatabase(path), { lookupsFromMemory: { self: { pid: 1, host: 'here' }, clock: () => 0, freshSeconds: 15 } });
    const old = decision('old', 1, 3);
    await filter.commit([{ ...old, triplet: { ...old.triplet!, state: { ...state(1), lastSeen: 0, passedAt: 0 } }, clientPasses: { ...passes(3), lastSeen: 0 } }]);
    expect(filter.findGreylistState(key('old'), client).triplet).toBeDefined();
    expect(await filter.expire({ now: 100 * 86_400, settings: { retryWindow: 2 * 86_400, maxAge: 35 * 86_400, logRetention: 35 * 86_400 }, batch: 100 })).toBeGreaterThan(0);
    expect(filter.findGreylistState(key('old'), client)).toEqual({ triplet: undefined, clientPasses: undefined });
    await filter.close();
  });
});
