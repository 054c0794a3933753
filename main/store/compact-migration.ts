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
  // Pages of the new tables stay in memory until the transaction commits: a cache of 256 MB keeps them from being spilled and read back.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -262144');
  try {
    copyIntoCompactLayout(db, progress);
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
  }
}

function copyIntoCompactLayout(db: Database, progress: MigrationProgress): void {
  db.exec(`
    ALTER TABLE triplets RENAME TO old_triplets;
    ALTER TABLE attempts RENAME TO old_attempts;
    DROP INDEX triplets_last_seen;
    DROP INDEX triplets_first_seen;
    DROP INDEX attempts_at;
    DROP INDEX attempts_triplet;
    ${COMPACT_TABLES}`);
  const ids = new Map<string, number>();
  const insertString = batchInsert(db, 'strings', ['id', 'text']);
  const intern = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      ids.set(text, (id = ids.size + 1));
      insertString.add(id, text);
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

  // Rows as arrays: an object per row costs more than the copy itself at millions of rows.
  const readTriplets = db
    .prepare('SELECT id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM old_triplets WHERE id > ? ORDER BY id LIMIT ?')
    .raw();
  const insertTriplet = batchInsert(db, 'triplets', ['id', 'sender', 'recipient', 'client_group', 'first_seen', 'last_seen', 'attempts', 'early_attempts', 'passed_at', 'passes']);
  type OldTriplet = [id: number, clientGroup: string, sender: string, recipient: string, ...state: Array<number | null>];
  for (let after = 0, done = 0; ; ) {
    const rows = readTriplets.all(after, CHUNK) as OldTriplet[];
    if (rows.length === 0) break;
    for (const [id, clientGroup, sender, recipient, ...state] of rows) insertTriplet.add(id, intern(sender), intern(recipient), intern(clientGroup), ...state);
    after = rows.at(-1)![0];
    report('triplets', (done += rows.length), triplets);
  }

  const readAttempts = db
    .prepare(
      `SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number
       FROM old_attempts WHERE id > ? ORDER BY id LIMIT ?`,
    )
    .raw();
  const insertAttempt = batchInsert(db, 'attempts', [
    'id', 'at', 'client_address', 'client_name', 'helo', 'sender', 'recipient', 'queue_id', 'action', 'reason', 'rule', 'delay', 'triplet_id',
    'attempt_number', 'client_group', 'key_sender', 'key_recipient',
  ]);
  type OldAttempt = [
    id: number, at: number, clientAddress: string, clientName: string, helo: string, sender: string, recipient: string, queueId: string,
    action: string, reason: string, rule: string, delay: number | null, tripletId: number | null, attemptNumber: number | null,
  ];
  for (let after = 0, done = 0; ; ) {
    const rows = readAttempts.all(after, CHUNK) as OldAttempt[];
    if (rows.length === 0) break;
    for (const [id, at, clientAddress, clientName, helo, senderText, recipientText, queueId, action, reason, rule, delay, tripletId, attemptNumber] of rows) {
      const sender = intern(senderText);
      const recipient = intern(recipientText);
      const key = parseTripletRule(rule);
      const keySender = key && intern(key.sender);
      const keyRecipient = key && intern(key.recipient);
      insertAttempt.add(
        id, at, intern(clientAddress), intern(clientName), intern(helo), sender, recipient, queueId, intern(action), intern(reason),
        key ? null : intern(rule), delay, tripletId, attemptNumber,
        key ? intern(key.clientGroup) : null, keySender === undefined || keySender === sender ? null : keySender,
        keyRecipient === undefined || keyRecipient === recipient ? null : keyRecipient,
      );
    }
    after = rows.at(-1)![0];
    report('attempts', (done += rows.length), attempts);
  }
  for (const inserter of [insertString, insertTriplet, insertAttempt]) inserter.flush();
  db.exec(`DROP TABLE old_triplets; DROP TABLE old_attempts; ${COMPACT_INDEXES} ${COMPACT_VIEWS}`);
  // Every string is named by a row now: the first collection of unused ones is a day away.
  db.prepare("INSERT INTO meta (key, value) VALUES ('strings_collected_at', ?)").run(Math.floor(Date.now() / 1000));
  if (triplets + attempts > 100_000) progress(`upgraded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Rows per INSERT statement: one call into SQLite for many rows costs far less than one per row. */
const ROWS_PER_INSERT = 100;

/** Inserts rows in statements of many rows each; flush() writes what is left. */
export function batchInsert(db: Database, table: string, columns: readonly string[]) {
  const values = `(${columns.map(() => '?').join(', ')})`;
  const full = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => values).join(', ')}`);
  let pending: unknown[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const rows = pending.length / columns.length;
    const statement = rows === ROWS_PER_INSERT ? full : db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => values).join(', ')}`);
    statement.run(pending);
    pending = [];
  };
  return {
    add(...row: unknown[]) {
      for (const value of row) pending.push(value);
      if (pending.length === ROWS_PER_INSERT * columns.length) flush();
    },
    flush,
  };
}
