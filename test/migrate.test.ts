// `greyward migrate`: a greylist moves between a database file and a shared PostgreSQL database
// (a throw-away cluster) with everything in it, refuses to pour into a database that holds data
// unless told to merge, and writes nothing when its source cannot be read.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { FilterService } from '../main/filter/filter-service.js';
import { streamLog } from '../main/filter/log.js';
import type { PolicyRequest } from '../main/filter/policy-protocol.js';
import { openDatabase } from '../main/store/database.js';
import { PgStore } from '../main/store/postgres/pg-store.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { SqliteSource } from '../main/store/transfer/sqlite-source.js';
import { SqliteTarget } from '../main/store/transfer/sqlite-target.js';
import { PgTarget } from '../main/store/transfer/pg-target.js';
import type { TransferSource } from '../main/store/transfer/transfer-rows.js';
import { transferGreylist } from '../main/store/transfer/transfer.js';
import { greyward, greywardOk, startDaemon } from './support/greyward-process.js';
import { postgresAvailability, suiteCluster } from './support/pg-cluster.js';
import { askOnce, policyRequest, rcpt } from './support/policy-client.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { tempDirs } from './support/temp-dirs.js';

const DEFER = /^DEFER_IF_PERMIT 4\.7\.1 Greylisted/;
const NOW = Math.floor(Date.now() / 1000);
/** The triplet the file deferred a while ago, and whose retry must pass wherever the greylist went. */
const WAITING = { clientAddress: '203.0.113.5', sender: 'waiting@example.org', recipient: 'later@example.net' };

const request = (over: Partial<PolicyRequest> = {}) => policyRequest({ queueId: 'ABC123', ...over });

/**
 * A greylist with a history: changed settings, lists with hits, comments and an expiry (and a
 * default entry removed), deferred, early, passed, allowed and rejected attempts, a client counter.
 */
async function seedGreylist(store: SqliteStore | PgStore, variant = ''): Promise<void> {
  await store.changeSettings({ delay: 120, autoAllowAfter: 3 }, [], NOW - 5000);
  await store.addEntries(
    [
      { list: 'deny', kind: 'sender-domain', pattern: `spam${variant}.example`, comment: 'a spam run', source: 'cli', expiresAt: NOW + 86_400 },
      { list: 'allow', kind: 'client-address', pattern: '198.51.100.7', comment: 'backup MX', source: 'ui' },
    ],
    NOW - 4000,
  );
  const abuse = (await store.listEntries()).find((entry) => entry.pattern === 'abuse@');
  if (abuse && !variant) await store.removeEntries([abuse.id]);
  const clock = { now: NOW - 3000 };
  const service = await FilterService.start({ store, log: streamLog(() => undefined), productVersion: 'test', clock: () => clock.now, expiryIntervalMs: 0 });
  const ask = (over: Partial<PolicyRequest>) => service.answer(request(over));
  const mail = { sender: `a${variant}@example.org`, recipient: 'x@example.net' };
  expect(await ask(mail)).toMatch(DEFER);
  clock.now += 30;
  expect(await ask(mail)).toMatch(DEFER);
  clock.now += 200;
  expect(await ask(mail)).not.toMatch(DEFER);
  expect(await ask({ clientAddress: '198.51.100.7', sender: 'b@example.org' })).not.toMatch(DEFER);
  expect(await ask({ sender: `x@spam${variant}.example` })).toMatch(/^REJECT/);
  clock.now = NOW - 1000;
  expect(await ask(WAITING)).toMatch(DEFER);
  await service.stop();
}

/** Everything a greylist holds, read through each store's own views and tables, ids included. */
async function contentsOfFile(path: string) {
  const db = openDatabase(path, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all();
    return {
      entries: all('SELECT id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at FROM list_entries ORDER BY id'),
      settings: all('SELECT key, value, updated_at FROM settings ORDER BY key'),
      settingChanges: all('SELECT at, key, old_value, new_value FROM setting_changes ORDER BY id'),
      triplets: all('SELECT id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM triplet_view ORDER BY id'),
      clientPasses: all('SELECT client, passes, last_counted_at, last_seen FROM client_passes ORDER BY client'),
      attempts: all(
        'SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number FROM attempt_view ORDER BY id',
      ),
      policyVersion: db.prepare("SELECT value FROM meta WHERE key = 'policy_version'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

async function contentsOfPg(url: string) {
  const sql = postgres(url, { onnotice: () => undefined, max: 1, types: { bigint: postgres.BigInt } });
  try {
    // Numbers as the file gives them: bigint columns are read as text, then as numbers.
    const all = async (query: string) =>
      (await sql.unsafe(query)).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    const [{ present }] = (await sql`SELECT to_regclass('meta') IS NOT NULL AS present`) as unknown as [{ present: boolean }];
    if (!present) return undefined;
    return {
      entries: await all('SELECT id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at FROM list_entries ORDER BY id'),
      settings: await all('SELECT key, value, updated_at FROM settings ORDER BY key'),
      settingChanges: await all('SELECT at, key, old_value, new_value FROM setting_changes ORDER BY id'),
      triplets: await all('SELECT id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM triplet_view ORDER BY id'),
      clientPasses: await all('SELECT client, passes, last_counted_at, last_seen FROM client_passes ORDER BY client'),
      attempts: await all(
        'SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number FROM attempt_view ORDER BY id',
      ),
      filters: (await all('SELECT DISTINCT filter FROM attempt_view ORDER BY filter')).map((row) => row.filter),
      policyVersion: Number((await sql`SELECT value FROM meta WHERE key = 'policy_version'`)[0]!.value),
    };
  } finally {
    await sql.end();
  }
}

describe('moving a greylist from one file into another', () => {
  const tempDir = tempDirs('greyward-migrate-files-');

  it('says in --help what --merge keeps, and asks for --from and --to', async () => {
    const help = (await greywardOk('migrate', '--help')).replace(/\s+/g, ' ');
    expect(help).toMatch(/^Usage: greyward migrate/);
    expect(help).toContain('triplets the same triplet in both: attempts, early attempts and passes add up');
    expect(help).toContain("list entries the target's entry stays where both have the same list, kind and pattern");
    expect(help).toContain('--filter-name <host>');
    const missing = await greyward('migrate', '--from', join(tempDir(), 'greyward.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/required option '--to <url\|path>' not specified/);
  });

  it('copies it whole and says how far it is as it goes', async () => {
    const file = join(tempDir(), 'greyward.db');
    const store = new SqliteStore(openDatabase(file));
    await seedGreylist(store);
    await store.announce({ pid: 4242, host: 'mx1', endpoints: { tcp: '127.0.0.1:10023' }, version: 'test', startedAt: 0, seenAt: 0 }, true);
    await store.close();
    const copy = join(tempDir(), 'copy.db');
    const lines: string[] = [];
    const source = SqliteSource.open(file);
    const target = SqliteTarget.open(copy);
    // Two seconds pass between two looks at the clock: every batch says how far the copy is.
    let clock = 0;
    await transferGreylist(source, target, { merge: false, say: (line) => lines.push(line), now: () => (clock += 1000) });
    await Promise.all([source.close(), target.close()]);
    expect(lines[0]).toBe(`copying 3 list entries, 2 settings, 2 setting changes, 2 triplets, 1 client pass counters, 6 attempts from ${file} into ${copy}`);
    expect(lines.slice(1)).toEqual([
      `still serving ${file}: mx1 (pid 4242); what it decides from now on is not copied (stop the filters first to move everything)`,
      'settings 2 of 2; 5 of 16 rows (31%, 6 s)',
      'setting changes 2 of 2; 7 of 16 rows (43%, 9 s)',
      'triplets 2 of 2; 9 of 16 rows (56%, 12 s)',
      'client pass counters 1 of 1; 10 of 16 rows (62%, 15 s)',
      'attempts 6 of 6; 16 of 16 rows (100%, 18 s)',
      'copied 16 rows in 19.0 s',
    ]);
    const { policyVersion: before, ...rows } = await contentsOfFile(file);
    const { policyVersion: after, ...copied } = await contentsOfFile(copy);
    expect(copied).toEqual(rows);
    expect(after).toBeGreaterThan(before);
  });
});

describe('greyward migrate', () => {
  if (!prerequisitesMet(missingOf([postgresAvailability()]))) return;
  const tempDir = tempDirs('greyward-migrate-');
  const { cluster, cleanups } = suiteCluster();

  async function seededFile(): Promise<string> {
    const path = join(tempDir(), 'greyward.db');
    const store = new SqliteStore(openDatabase(path));
    await seedGreylist(store);
    await store.close();
    return path;
  }

  it('moves every list entry, setting, triplet, client counter and attempt from a file into PostgreSQL and back, and moves the policy version on', async () => {
    const file = await seededFile();
    const before = await contentsOfFile(file);
    expect(before.triplets.length).toBe(2);
    expect(before.attempts.length).toBe(6);
    expect(before.entries.map((entry) => (entry as { pattern: string }).pattern)).not.toContain('abuse@');
    const url = await cluster().createDatabase();

    const into = await greyward('migrate', '--from', file, '--to', url, '--filter-name', 'mx-old');
    expect(into.stderr).toMatch(/copying 3 list entries, 2 settings, 2 setting changes, 2 triplets, 1 client pass counters, 6 attempts/);
    expect(into.code).toBe(0);
    const shared = (await contentsOfPg(url))!;
    const { policyVersion: filePolicy, ...fileRows } = before;
    const { policyVersion: sharedPolicy, filters, ...sharedRows } = shared;
    expect(sharedRows).toEqual(fileRows);
    expect(filters).toEqual(['mx-old']);
    expect(sharedPolicy).toBeGreaterThan(filePolicy);
    // The source is only read.
    expect(await contentsOfFile(file)).toEqual(before);

    const back = join(tempDir(), 'back.db');
    await greywardOk('migrate', '--from', url, '--to', back);
    const { policyVersion: backPolicy, ...backRows } = await contentsOfFile(back);
    expect(backRows).toEqual(fileRows);
    expect(backPolicy).toBeGreaterThan(sharedPolicy);
  });

  it('hands the greylist to a filter already running on the PostgreSQL database: its lists at once, the retry of a triplet the file deferred passes', async () => {
    const file = await seededFile();
    const url = await cluster().createDatabase();
    const filter = await startDaemon(['--db', url, '--listen', '127.0.0.1:0']);
    cleanups.push(() => filter.stop());
    const spam = rcpt({ sender: 'offer@spam.example' });
    const retry = rcpt({ client_address: WAITING.clientAddress, sender: WAITING.sender, recipient: WAITING.recipient });
    // Asked nothing before: every answer is an attempt, and a database that holds one is refused.
    await greywardOk('migrate', '--from', file, '--to', url);
    const migrated = performance.now();
    await expect.poll(() => askOnce({ port: filter.port }, spam), { timeout: 5000, interval: 20 }).toMatch(/^REJECT/);
    expect(performance.now() - migrated).toBeLessThan(1000);
    expect(await askOnce({ port: filter.port }, retry)).toMatch(/^PREPEND X-Greylist: delayed|^DUNNO/);
    // A triplet it never saw is still deferred: the retry passed for what moved, not for nothing.
    expect(await askOnce({ port: filter.port }, rcpt({ ...retry, sender: 'stranger@example.org' }))).toMatch(DEFER);
  });

  it("keeps a filter on the target from writing while the copy runs, and writes its decision once the copy is in", async () => {
    const file = await seededFile();
    const url = await cluster().createDatabase();
    const filterStore = await PgStore.open(url, { filterName: 'mx9' });
    cleanups.push(() => filterStore.close());
    const source = SqliteSource.open(file);
    const target = await PgTarget.open(url, { filterName: 'mx-old', note: () => undefined });
    cleanups.push(() => Promise.all([source.close(), target.close()]));
    const waitingLocks = async () => Number((await filterStore.sql`SELECT count(*) AS n FROM pg_locks WHERE NOT granted`)[0]!.n);
    const key = { clientGroup: '198.18.0.0/24', sender: 'late@example.org', recipient: 'x@example.net' };
    const state = { firstSeen: NOW, lastSeen: NOW, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    const attempt = {
      at: NOW, clientAddress: '198.18.0.1', clientName: 'unknown', helo: 'late.example.org', sender: key.sender, recipient: key.recipient, queueId: '',
      action: 'defer' as const, reason: 'new' as const, rule: `triplet ${key.clientGroup} ${key.sender} ${key.recipient}`, delay: 120,
    };
    let decided: Promise<void> | undefined;
    // The filter decides once the copy has begun to write.
    const watched: TransferSource = {
      description: source.description,
      close: () => source.close(),
      snapshot: (read) =>
        source.snapshot((reader) =>
          read({
            ...reader,
            triplets: async function* () {
              decided = filterStore.commit([{ attempt, triplet: { key, state } }]);
              await expect.poll(waitingLocks).toBeGreaterThan(0);
              yield* reader.triplets();
            },
          }),
        ),
    };
    await transferGreylist(watched, target, { merge: false, say: () => undefined });
    await decided;
    const after = (await contentsOfPg(url))!;
    const { policyVersion: _, ...fileRows } = await contentsOfFile(file);
    expect(after.triplets.slice(0, -1)).toEqual(fileRows.triplets);
    expect(after.attempts.slice(0, -1)).toEqual(fileRows.attempts);
    // The filter's rows come after the copied ones, with ids of their own.
    const [lastTriplet, lastAttempt] = [after.triplets.at(-1) as { id: number; sender: string }, after.attempts.at(-1) as { id: number; triplet_id: number; sender: string }];
    expect(lastTriplet.sender).toBe(key.sender);
    expect(lastTriplet.id).toBeGreaterThan(Math.max(...fileRows.triplets.map((row) => (row as { id: number }).id)));
    expect(lastAttempt).toMatchObject({ sender: key.sender, triplet_id: lastTriplet.id });
    expect(lastAttempt.id).toBeGreaterThan(Math.max(...fileRows.attempts.map((row) => (row as { id: number }).id)));
  });

  it('refuses a target that holds data and leaves it untouched; --merge into a file is refused too', async () => {
    const file = await seededFile();
    const url = await cluster().createDatabase();
    const target = await PgStore.open(url);
    await target.addEntries([{ list: 'grey', kind: 'sender-domain', pattern: 'example.biz' }], NOW);
    await target.close();
    const before = await contentsOfPg(url);
    const refused = await greyward('migrate', '--from', file, '--to', url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds data \(1 list entry besides the defaults\); nothing was copied\. Add --merge/);
    expect(await contentsOfPg(url)).toEqual(before);

    const fileTarget = await seededFile();
    const fileBefore = await contentsOfFile(fileTarget);
    for (const args of [[], ['--merge']]) {
      const result = await greyward('migrate', '--from', url, '--to', fileTarget, ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/already holds data \(2 triplets, 6 attempts, 1 client pass counter, 2 list entries besides the defaults, 2 stored settings, 2 recorded setting changes\)/);
    }
    expect(await contentsOfFile(fileTarget)).toEqual(fileBefore);
  });

  it('with --merge adds counts of the same triplet, keeps the target\'s list entries and settings, and links each attempt to its triplet', async () => {
    const file = await seededFile();
    const url = await cluster().createDatabase();
    const target = await PgStore.open(url, { filterName: 'mx2' });
    // The same sender at the other host (same triplet), and its own spam domain.
    await seedGreylist(target, '2');
    await target.editEntry((await target.listEntries()).find((entry) => entry.pattern === '198.51.100.7')!.id, { comment: 'the other backup MX' }, NOW);
    await target.changeSettings({ delay: 180 }, ['autoAllowAfter'], NOW - 100);
    await target.close();
    const source = await contentsOfFile(file);
    const mine = (await contentsOfPg(url))!;

    const merged = await greyward('migrate', '--from', file, '--to', url, '--merge', '--filter-name', 'mx1');
    expect(merged.code).toBe(0);
    const after = (await contentsOfPg(url))!;

    type Entry = { list: string; kind: string; pattern: string; comment: string; hits: number };
    const entry = (rows: unknown[], pattern: string) => (rows as Entry[]).find((row) => row.pattern === pattern);
    expect(entry(after.entries, '198.51.100.7')).toMatchObject({ comment: 'the other backup MX', hits: 2 });
    expect(entry(after.entries, 'spam.example')).toMatchObject({ list: 'deny', comment: 'a spam run', hits: 1 });
    expect(entry(after.entries, 'spam2.example')).toMatchObject({ hits: 1 });
    // The target kept its abuse@ entry; the file had removed its own.
    expect(entry(after.entries, 'abuse@')).toBeDefined();
    expect(after.entries.length).toBe(5);

    // delay stays the target's; autoAllowAfter, which the target reset, comes from the file with its history.
    expect(Object.fromEntries((after.settings as Array<{ key: string; value: string }>).map((row) => [row.key, row.value]))).toEqual({ delay: '180', autoAllowAfter: '3' });
    expect(after.settingChanges.length).toBe(mine.settingChanges.length + 1);

    type Triplet = { sender: string; attempts: number; early_attempts: number; passes: number; first_seen: number; passed_at: number | null; id: number };
    const shared = (after.triplets as Triplet[]).find((row) => row.sender === 'a@example.org')!;
    const fileTriplet = (source.triplets as Triplet[]).find((row) => row.sender === 'a@example.org')!;
    const ownTriplet = (mine.triplets as Triplet[]).find((row) => row.sender === 'a@example.org');
    expect(ownTriplet).toBeUndefined();
    // Both greylists deferred WAITING: one triplet with the attempts of both.
    const waiting = (after.triplets as Triplet[]).filter((row) => row.sender === WAITING.sender);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ attempts: 2, passes: 0, passed_at: null });
    expect(shared).toMatchObject({ attempts: fileTriplet.attempts, passes: fileTriplet.passes, first_seen: fileTriplet.first_seen });
    expect(after.triplets.length).toBe(3);
    expect((after.clientPasses as Array<{ client: string; passes: number }>).find((row) => row.client === '192.0.2.10')?.passes).toBe(2);

    expect(after.attempts.length).toBe(source.attempts.length + mine.attempts.length);
    expect(after.filters).toEqual(['mx1', 'mx2']);
    type Attempt = { triplet_id: number | null; sender: string };
    const idOf = (sender: string) => (after.triplets as Triplet[]).find((row) => row.sender === sender)!.id;
    for (const sender of ['a@example.org', WAITING.sender]) {
      const linked = (after.attempts as Attempt[]).filter((row) => row.sender === sender);
      expect(linked.map((row) => row.triplet_id)).toEqual(linked.map(() => idOf(sender)));
    }
  });

  it('says why when the source is missing or not a greylist, and writes nothing anywhere', async () => {
    const dir = tempDir();
    const url = await cluster().createDatabase();
    const missing = await greyward('migrate', '--from', join(dir, 'nothing.db'), '--to', url);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing\.db does not exist/);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is no database, just some text that is long enough to look like a header '.repeat(100));
    const broken = await greyward('migrate', '--from', garbage, '--to', url);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/garbage\.db is not a Greyward database/);
    // The target database was not even given a schema.
    expect(await contentsOfPg(url)).toBeUndefined();

    const same = await greyward('migrate', '--from', url, '--to', `${url}?application_name=copy`);
    expect(same.stderr).toMatch(/--from and --to name the same database/);

    const emptyUrl = await cluster().createDatabase();
    const notGreylist = await greyward('migrate', '--from', emptyUrl, '--to', join(dir, 'copy.db'));
    expect(notGreylist.code).toBe(1);
    expect(notGreylist.stderr).toMatch(/holds no Greyward greylist/);
    expect(existsSync(join(dir, 'copy.db'))).toBe(false);
    const unreachable = await greyward('migrate', '--from', `postgres://greyward@127.0.0.1:${cluster().port}/no_such_database`, '--to', join(dir, 'copy.db'));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot read postgres:\/\/greyward@127\.0\.0\.1:\d+\/no_such_database: .*does not exist/);
    expect(existsSync(join(dir, 'copy.db'))).toBe(false);
  });
});
