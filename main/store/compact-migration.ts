import type { Database } from 'better-sqlite3';
import { COMPACT_INDEXES, COMPACT_TABLES, COMPACT_VIEWS, FIXED_STRINGS, parseTripletRule } from './compact-log.js';

/** Rows copied per read: better-sqlite3 cannot write while a statement is being iterated. */
const CHUNK = 20_000;
/** A progress line at most this often. */
const PROGRESS_MS = 2_000;

export type MigrationProgress = (line: string) => void;

/**
 * Rewrites the greylist and the attempt log of schema 6 into the compact layout (schema 7), in
 * the caller's transaction: if anything fails, the database is as it was. Strings are numbered in
 * memory while copying (a map of every distinct text, some hundreds of MB for millions of rows):
 * looking each up in SQLite would take minutes at a million triplets.
 */
export function compactAttemptLog(db: Database, progress: MigrationProgress = () => {}): void {
  db.exec(`
    ALTER TABLE triplets RENAME TO old_triplets;
    ALTER TABLE attempts RENAME TO old_attempts;
    DROP INDEX triplets_last_seen;
    DROP INDEX triplets_first_seen;
    DROP INDEX attempts_at;
    DROP INDEX attempts_triplet;
    ${COMPACT_TABLES}`);
  const ids = new Map<string, number>();
  const insertString = db.prepare('INSERT INTO strings (id, text) VALUES (?, ?)');
  const intern = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      ids.set(text, (id = ids.size + 1));
      insertString.run(id, text);
    }
    return id;
  };
  for (const fixed of FIXED_STRINGS) intern(fixed);

  const total = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const triplets = total('old_triplets');
  const attempts = total('old_attempts');
  const started = Date.now();
  let reportedAt = started;
  const report = (what: string, done: number, of: number) => {
    if (Date.now() - reportedAt < PROGRESS_MS) return;
    reportedAt = Date.now();
    progress(`upgrading the database to the compact layout: ${what} ${done.toLocaleString('en')} of ${of.toLocaleString('en')} (${Math.floor((100 * done) / Math.max(1, of))}%)`);
  };
  if (triplets + attempts > 100_000) progress(`upgrading the database to the compact layout: ${triplets.toLocaleString('en')} triplets, ${attempts.toLocaleString('en')} attempts`);

  const readTriplets = db.prepare('SELECT * FROM old_triplets WHERE id > ? ORDER BY id LIMIT ?');
  const insertTriplet = db.prepare(
    `INSERT INTO triplets (id, sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  type OldTriplet = { id: number; client_group: string; sender: string; recipient: string; first_seen: number; last_seen: number; attempts: number; early_attempts: number; passed_at: number | null; passes: number };
  for (let after = 0, done = 0; ; ) {
    const rows = readTriplets.all(after, CHUNK) as OldTriplet[];
    if (rows.length === 0) break;
    for (const t of rows) {
      insertTriplet.run(t.id, intern(t.sender), intern(t.recipient), intern(t.client_group), t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes);
    }
    after = rows.at(-1)!.id;
    report('triplets', (done += rows.length), triplets);
  }

  const readAttempts = db.prepare('SELECT * FROM old_attempts WHERE id > ? ORDER BY id LIMIT ?');
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
       attempt_number, client_group, key_sender, key_recipient)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  type OldAttempt = {
    id: number; at: number; client_address: string; client_name: string; helo: string; sender: string; recipient: string; queue_id: string;
    action: string; reason: string; rule: string; delay: number | null; triplet_id: number | null; attempt_number: number | null;
  };
  for (let after = 0, done = 0; ; ) {
    const rows = readAttempts.all(after, CHUNK) as OldAttempt[];
    if (rows.length === 0) break;
    for (const a of rows) {
      const sender = intern(a.sender);
      const recipient = intern(a.recipient);
      const key = parseTripletRule(a.rule);
      const keySender = key && intern(key.sender);
      const keyRecipient = key && intern(key.recipient);
      insertAttempt.run(
        a.id, a.at, intern(a.client_address), intern(a.client_name), intern(a.helo), sender, recipient, a.queue_id, intern(a.action), intern(a.reason),
        key ? null : intern(a.rule), a.delay, a.triplet_id, a.attempt_number,
        key ? intern(key.clientGroup) : null, keySender === undefined || keySender === sender ? null : keySender,
        keyRecipient === undefined || keyRecipient === recipient ? null : keyRecipient,
      );
    }
    after = rows.at(-1)!.id;
    report('attempts', (done += rows.length), attempts);
  }
  db.exec(`DROP TABLE old_triplets; DROP TABLE old_attempts; ${COMPACT_INDEXES} ${COMPACT_VIEWS}`);
  if (triplets + attempts > 100_000) progress(`upgraded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
