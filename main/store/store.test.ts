import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { LATEST_SCHEMA_VERSION, migrate, MIGRATIONS } from './migrations.js';
import { AdminQueries } from './admin-queries.js';
import { InvalidEntriesError } from './list-entry-rows.js';
import { FIND_STATE_SQL, SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-store-'));
  dirs.push(dir);
  return join(dir, 'greyward.db');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const key = { clientGroup: '192.0.2.0/24', sender: 'a@example.com', recipient: 'b@example.net' };
/** The client as auto-allow counts it: its address. */
const client = '192.0.2.1';
/** A filter with no other filter beside it. */
const alone = { self: { pid: 1, host: 'here' }, clock: () => 100, freshSeconds: 15 };
const attempt = (at: number) => ({
  at,
  clientAddress: '192.0.2.1',
  clientName: 'unknown',
  helo: 'h',
  sender: 'a@example.com',
  recipient: 'b@example.net',
  queueId: '',
  action: 'defer' as const,
  reason: 'new',
  rule: 'triplet',
  delay: 300,
});

describe('migrations', () => {
  it('brings an empty database to the latest version, each step once', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual({ from: 0, to: LATEST_SCHEMA_VERSION });
    expect(migrate(db)).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(
      expect.arrayContaining(['attempts', 'client_passes', 'list_entries', 'meta', 'settings', 'triplets']),
    );
  });

  it('refuses a database from a newer Greyward and leaves it untouched', () => {
    const path = tempDb();
    const future = new Database(path);
    future.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    future.close();
    expect(() => openDatabase(path)).toThrow(
      `written by a newer Greyward (schema version ${LATEST_SCHEMA_VERSION + 1}; this Greyward knows up to ${LATEST_SCHEMA_VERSION})`,
    );
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT count(*) FROM sqlite_master").pluck().get()).toBe(0);
  });

  it('rolls back a migration that fails halfway', () => {
    const db = new Database(':memory:');
    const broken = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half (x); SELECT nonsense FROM nowhere;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
  });

  it('uses indexes for the queries on the request path and for expiry', () => {
    const db = new Database(':memory:');
    migrate(db);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x')) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    const lookup = plan(FIND_STATE_SQL);
    expect(lookup).toMatch(/SEARCH t USING INDEX triplets_key \(sender=\? AND recipient=\? AND client_group=\?\)/);
    expect(lookup).toMatch(/SEARCH strings USING COVERING INDEX strings_text/);
    expect(lookup).toMatch(/SEARCH c USING INDEX sqlite_autoindex_client_passes/);
    expect(plan('DELETE FROM client_passes WHERE client IN (SELECT client FROM client_passes WHERE last_seen < ? LIMIT ?)')).toMatch(/USING (COVERING )?INDEX client_passes_last_seen/);
    expect(plan('SELECT id FROM triplets WHERE passed_at IS NULL AND first_seen < ? LIMIT 10')).toMatch(/USING (COVERING )?INDEX triplets_first_seen/);
    expect(plan('SELECT id FROM triplets ORDER BY first_seen DESC LIMIT 10')).toMatch(/SCAN triplets USING (COVERING )?INDEX triplets_first_seen/);
    expect(plan('SELECT id FROM triplets WHERE last_seen < ? LIMIT 10')).toMatch(/USING (COVERING )?INDEX triplets_last_seen/);
    // The log has no index on time: its ids are in time order, and expiry deletes the lowest.
    expect(plan('DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id < ? ORDER BY id LIMIT ?)')).toMatch(/SEARCH attempts USING INTEGER PRIMARY KEY \(rowid<\?\)/);
  });
});

describe('default entries', () => {
  const allowEntries = async (store: SqliteStore) =>
    (await store.listEntries({ list: 'allow' })).map((e) => ({ kind: e.kind, pattern: e.pattern, source: e.source }));
  /** A database as the Greyward before the default entries left it. */
  const databaseBeforeDefaults = (path: string, entries: Array<[string, string, number | null]> = []) => {
    const db = new Database(path);
    migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
    const insert = db.prepare("INSERT INTO list_entries (list, kind, pattern, created_at, expires_at) VALUES ('allow', ?, ?, 1, ?)");
    for (const [kind, pattern, expiresAt] of entries) insert.run(kind, pattern, expiresAt);
    db.close();
  };

  it('allows mail to postmaster@ and abuse@ in a new database, as entries marked as defaults', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    expect(await allowEntries(store)).toEqual([
      { kind: 'recipient-user', pattern: 'abuse@', source: 'default' },
      { kind: 'recipient-user', pattern: 'postmaster@', source: 'default' },
    ]);
    expect((await store.listEntries()).every((e) => e.comment !== '')).toBe(true);
    await store.close();
  });

  it('never brings back a default the administrator removed', async () => {
    const path = tempDb();
    const store = new SqliteStore(openDatabase(path));
    const postmaster = (await store.listEntries()).find((e) => e.pattern === 'postmaster@')!;
    expect(await store.removeEntries([postmaster.id])).toBe(1);
    await store.close();
    const reopened = new SqliteStore(openDatabase(path));
    expect(await allowEntries(reopened)).toEqual([{ kind: 'recipient-user', pattern: 'abuse@', source: 'default' }]);
    await reopened.close();
  });

  it('adds them once to an existing database, unless it already has equivalent entries', async () => {
    const plain = tempDb();
    databaseBeforeDefaults(plain, [['client-address', '192.0.2.0/24', null]]);
    const store = new SqliteStore(openDatabase(plain));
    expect(await allowEntries(store)).toEqual([
      { kind: 'client-address', pattern: '192.0.2.0/24', source: '' },
      { kind: 'recipient-user', pattern: 'abuse@', source: 'default' },
      { kind: 'recipient-user', pattern: 'postmaster@', source: 'default' },
    ]);
    await store.close();

    // Debian's whitelist_recipients imported, or a pattern of the administrator's that covers postmaster in every domain.
    const covered = tempDb();
    databaseBeforeDefaults(covered, [
      ['recipient-user', 'abuse@', null],
      ['recipient-pattern', '^(postmaster|hostmaster)@', null],
    ]);
    const other = new SqliteStore(openDatabase(covered));
    expect(await allowEntries(other)).toEqual([
      { kind: 'recipient-pattern', pattern: '^(postmaster|hostmaster)@', source: '' },
      { kind: 'recipient-user', pattern: 'abuse@', source: '' },
    ]);
    await other.close();

    // An entry for one domain only, or one that lapses, is not the same: the default is added beside it.
    const partial = tempDb();
    databaseBeforeDefaults(partial, [
      ['recipient-address', 'postmaster@example.com', null],
      ['recipient-pattern', '^abuse@', 1_900_000_000],
    ]);
    const third = new SqliteStore(openDatabase(partial));
    expect((await allowEntries(third)).filter((e) => e.source === 'default').map((e) => e.pattern)).toEqual(['abuse@', 'postmaster@']);
    await third.close();
  });
});

describe('auto-allow counters of an older database', () => {
  const HOUR = 3600;
  const T = 1_800_000_000;

  it('are counted again per exact client address from the attempt log, and a client that was auto-allowed stays so', async () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, MIGRATIONS.filter((m) => m.version <= 5));
    // Counted per /24, every pass once an hour, by the Greyward before.
    const network = old.prepare('INSERT INTO client_passes (client_group, passes, last_counted_at, last_seen) VALUES (?, ?, ?, ?)');
    network.run('192.0.2.0/24', 7, T + 3 * HOUR, T + 3 * HOUR);
    network.run('198.51.100.0/24', 9, T, T + 5 * HOUR);
    const log = old.prepare(
      `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay)
       VALUES (?, ?, '', '', 's@example.org', ?, '', ?, ?, '', NULL)`,
    );
    const logged: Array<[number, string, string, string]> = [
      [T - 300, '192.0.2.7', 'a@example.net', 'new'],
      [T, '192.0.2.7', 'a@example.net', 'passed'],
      [T + 600, '192.0.2.7', 'b@example.net', 'passed'], // the same hour: not counted
      [T + 2 * HOUR, '192.0.2.7', 'c@example.net', 'passed'],
      [T + 3 * HOUR, '192.0.2.7', 'a@example.net', 'known'],
      [T + HOUR, '192.0.2.8', 'a@example.net', 'known'],
      [T, '198.51.100.20', 'a@example.net', 'passed'],
      [T + 5 * HOUR, '198.51.100.20', 'd@example.net', 'auto-allowed'],
      [T, '198.51.100.21', 'a@example.net', 'passed'],
      [T + HOUR, '2001:db8::25', 'a@example.net', 'passed'],
    ];
    for (const [at, client, recipient, reason] of logged) log.run(at, client, recipient, reason === 'new' ? 'defer' : reason === 'auto-allowed' ? 'allow' : 'pass', reason);
    old.close();

    const store = new SqliteStore(openDatabase(path));
    expect(store.db.prepare('SELECT client, passes, last_counted_at AS lastCountedAt, last_seen AS lastSeen FROM client_passes ORDER BY client').all()).toEqual([
      { client: '192.0.2.7', passes: 2, lastCountedAt: T + 2 * HOUR, lastSeen: T + 3 * HOUR },
      { client: '192.0.2.8', passes: 0, lastCountedAt: 0, lastSeen: T + HOUR },
      { client: '198.51.100.20', passes: 9, lastCountedAt: T, lastSeen: T + 5 * HOUR },
      { client: '198.51.100.21', passes: 1, lastCountedAt: T, lastSeen: T },
      { client: '2001:db8::25', passes: 1, lastCountedAt: T + HOUR, lastSeen: T + HOUR },
    ]);
    await store.close();
  });
});

describe('opening', () => {
  it('uses WAL so the filter and the app can share the file', () => {
    const db = openDatabase(tempDb());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('says a corrupt file is not a Greyward database and leaves it as it was', () => {
    const path = tempDb();
    writeFileSync(path, 'this is not a database, it is a text file that got in the way'.repeat(100));
    expect(() => openDatabase(path)).toThrow(/is not a Greyward database or is corrupt/);
  });

  it('says so when the directory does not exist', () => {
    expect(() => openDatabase('/nonexistent-dir/greyward.db')).toThrow(/cannot open \/nonexistent-dir\/greyward.db/);
  });
});

describe('SqliteStore', () => {
  it('commits decisions atomically and reads triplets back', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    await store.commit([{ attempt: attempt(10), triplet: { key, state } }]);
    expect((await store.findGreylistState(key, client)).triplet).toEqual(state);
    const bad = { attempt: { ...attempt(11), action: null as never } };
    await expect(store.commit([{ attempt: attempt(11), triplet: { key, state: { ...state, attempts: 2 } } }, bad])).rejects.toThrow();
    expect((await store.findGreylistState(key, client)).triplet?.attempts).toBe(1);
    expect(store.db.prepare('SELECT count(*) FROM attempts').pluck().get()).toBe(1);
  });

  it('links every attempt to its triplet', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    await store.commit([{ attempt: attempt(10), triplet: { key, state } }]);
    await store.commit([{ attempt: attempt(20), triplet: { key, state: { ...state, lastSeen: 20, attempts: 2 } } }]);
    expect(store.db.prepare('SELECT DISTINCT triplet_id FROM attempts').pluck().all()).toEqual([1]);
  });

  it('updates a retry in the row it was read from, and never in a row that took over its id', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    await store.commit([{ attempt: attempt(10), triplet: { key, state } }]);
    const read = store.findGreylistState(key, client);
    expect(read).toMatchObject({ triplet: state, tripletId: 1 });
    const retry = { ...state, lastSeen: 20, attempts: 2, earlyAttempts: 1 };
    await store.commit([{ attempt: attempt(20), triplet: { key, state: retry, id: read.tripletId! } }]);
    expect(store.findGreylistState(key, client).triplet).toEqual(retry);

    // Expiry deletes the row and a new triplet is given the same id before the queued retry is committed.
    const other = { ...key, sender: 'someone-else@example.org' };
    store.db.prepare('DELETE FROM triplets').run();
    await store.commit([{ attempt: attempt(30), triplet: { key: other, state } }]);
    expect(store.findGreylistState(other, client).tripletId).toBe(1);
    await store.commit([{ attempt: attempt(31), triplet: { key, state: { ...retry, attempts: 3 }, id: 1 } }]);
    expect(store.findGreylistState(other, client).triplet).toEqual(state);
    expect(store.findGreylistState(key, client)).toMatchObject({ triplet: { attempts: 3 }, tripletId: 2 });
  });

  it('starts a triplet over in place when its window has passed', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    await store.commit([{ attempt: attempt(10), triplet: { key, state } }]);
    const restart = { ...state, firstSeen: 500_000, lastSeen: 500_000 };
    await store.commit([{ attempt: attempt(500_000), triplet: { key, state: restart, id: 1 } }]);
    expect(store.findGreylistState(key, client)).toEqual({ triplet: restart, tripletId: 1, clientPasses: undefined });
  });

  it('answers a first contact without a read, and finds what was stored before it started', async () => {
    const path = tempDb();
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    const other = new SqliteStore(openDatabase(path));
    await other.commit([{ attempt: attempt(10), triplet: { key, state } }]);
    const store = new SqliteStore(openDatabase(path), { lookupsFromMemory: alone });
    expect(store.findGreylistState(key, client).triplet).toEqual(state);
    // The stored keys are read on a worker thread first.
    await expect.poll(() => store.lookupsWarm, { timeout: 10_000 }).toBe(true);
    // Only a key the database cannot hold is answered without a read: with the connection closed, that one still is.
    store.db.close();
    expect(store.findGreylistState({ ...key, sender: 'stranger@example.org' }, client)).toEqual({ triplet: undefined, clientPasses: undefined });
    expect(() => store.findGreylistState(key, client)).toThrow(/not open/);
    await Promise.all([store.close(), other.close()]);
  });

  it('forgets the states it remembers when the app edits triplets, and when a commit fails', async () => {
    const path = tempDb();
    const state = { firstSeen: 10, lastSeen: 10, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    const clientPasses = { client, passes: 1, lastCountedAt: 5, lastSeen: 5 };
    const store = new SqliteStore(openDatabase(path), { lookupsFromMemory: alone });
    await store.commit([{ attempt: attempt(10), triplet: { key, state }, clientPasses }]);
    expect(store.findGreylistState(key, client)).toMatchObject({ triplet: state, clientPasses });

    const app = openDatabase(path);
    expect(new AdminQueries(app).passTripletsNow([1], 20)).toBe(1);
    await expect.poll(() => store.findGreylistState(key, client).triplet, { timeout: 2000 }).toMatchObject({ passedAt: 20, lastSeen: 20 });

    app.exec('DROP TABLE attempts');
    await expect(store.commit([{ attempt: attempt(30), triplet: { key, state: { ...state, attempts: 9 }, id: 1 } }])).rejects.toThrow(/attempts/);
    expect(store.findGreylistState(key, client).triplet).toMatchObject({ attempts: 1, passedAt: 20 });
    app.close();
    await store.close();
  });

  it('adds all entries of a batch or none, and names each bad one', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const entries = [
      { list: 'allow' as const, kind: 'client-address' as const, pattern: '192.0.2.0/24' },
      { list: 'allow' as const, kind: 'client-address' as const, pattern: '192.0.2.0/33' },
      { list: 'deny' as const, kind: 'sender-domain' as const, pattern: 'spam.example' },
    ];
    const failure = await store.addEntries(entries, 1).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InvalidEntriesError);
    expect((failure as InvalidEntriesError).problems).toEqual([{ index: 1, message: expect.stringMatching(/prefix length/) }]);
    expect((await store.listEntries()).filter((e) => e.source !== 'default')).toEqual([]);
    expect(await store.addEntries([entries[0]!, entries[2]!, entries[0]!], 1)).toEqual({ added: 2, duplicates: 1 });
  });

  it('bumps the policy version for list and setting changes, not for hit counts', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    const v0 = await store.policyVersion();
    await store.addEntries([{ list: 'allow', kind: 'client-name', pattern: 'example.com' }], 1);
    const v1 = await store.policyVersion();
    expect(v1).toBeGreaterThan(v0);
    const [entry] = await store.listEntries();
    await store.commit([{ attempt: attempt(5), listHit: { entryId: entry!.id, at: 5 } }]);
    expect(await store.policyVersion()).toBe(v1);
    expect((await store.listEntries())[0]).toMatchObject({ hits: 1, lastHitAt: 5 });
    await store.setSetting('delay', 60, 1);
    expect(await store.policyVersion()).toBeGreaterThan(v1);
    expect((await store.readPolicy()).settings.delay).toBe(60);
  });
});
