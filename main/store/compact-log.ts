import type { SqliteDatabase } from './database.js';

/**
 * The compact layout (schema 7): every repeated text in `strings`, triplets and attempts made of
 * integers. An attempt decided on a triplet stores no rule text: its rule is the triplet's key,
 * which the row carries itself (client_group, and key_sender and key_recipient where the key's
 * sender or recipient differ from the envelope's), so that it outlives the triplet's expiry.
 * Attempts have no index on time: the filter appends them in time order, so a time is found
 * by a binary search of ids (see attemptIdAt).
 */
export const COMPACT_TABLES = `
-- AUTOINCREMENT: strings no row names any more are deleted, and their ids never name another text.
CREATE TABLE strings (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL) STRICT;

CREATE TABLE triplets (
  id INTEGER PRIMARY KEY,
  sender INTEGER NOT NULL,
  recipient INTEGER NOT NULL,
  client_group INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  early_attempts INTEGER NOT NULL,
  passed_at INTEGER,
  passes INTEGER NOT NULL
) STRICT;

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  client_address INTEGER NOT NULL,
  client_name INTEGER NOT NULL,
  helo INTEGER NOT NULL,
  sender INTEGER NOT NULL,
  recipient INTEGER NOT NULL,
  queue_id TEXT NOT NULL,
  action INTEGER NOT NULL,
  reason INTEGER NOT NULL,
  rule INTEGER,
  delay INTEGER,
  triplet_id INTEGER,
  attempt_number INTEGER,
  client_group INTEGER,
  key_sender INTEGER,
  key_recipient INTEGER
) STRICT;`;

/** Built after the rows are in: an index filled in key order is written once, and packed. */
export const COMPACT_INDEXES = `
CREATE UNIQUE INDEX strings_text ON strings (text);
-- Sender first: a triplet is found by its key, and a mail's triplets (one per network) lie together.
CREATE UNIQUE INDEX triplets_key ON triplets (sender, recipient, client_group);
CREATE INDEX triplets_last_seen ON triplets (last_seen);
CREATE INDEX triplets_first_seen ON triplets (first_seen);
CREATE INDEX attempts_triplet ON attempts (triplet_id);`;

const text = (column: string) => `(SELECT text FROM strings WHERE id = ${column})`;

/**
 * The log and the greylist with their texts, as the layout before schema 7 had them, for reads that
 * show rows; the ids beside them are for filtering without reading a text per row.
 */
export const COMPACT_VIEWS = `
CREATE VIEW attempt_view AS
SELECT a.id, a.at, ${text('a.client_address')} AS client_address, ${text('a.client_name')} AS client_name, ${text('a.helo')} AS helo,
  ${text('a.sender')} AS sender, ${text('a.recipient')} AS recipient, a.queue_id, ${text('a.action')} AS action, ${text('a.reason')} AS reason,
  CASE WHEN a.rule IS NULL
    THEN 'triplet ' || ${text('a.client_group')} || ' ' || ${text('coalesce(a.key_sender, a.sender)')} || ' ' || ${text('coalesce(a.key_recipient, a.recipient)')}
    ELSE ${text('a.rule')} END AS rule,
  a.delay, a.triplet_id, a.attempt_number,
  a.client_address AS client_address_id, a.client_name AS client_name_id, a.sender AS sender_id, a.recipient AS recipient_id,
  a.action AS action_id, a.reason AS reason_id
FROM attempts a;

CREATE VIEW triplet_view AS
SELECT t.id, ${text('t.client_group')} AS client_group, ${text('t.sender')} AS sender, ${text('t.recipient')} AS recipient,
  t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes,
  t.client_group AS client_group_id, t.sender AS sender_id, t.recipient AS recipient_id
FROM triplets t;`;

/** Actions and reasons first: the ids every attempt row names take one byte. */
export const FIXED_STRINGS = [
  '',
  'defer',
  'pass',
  'allow',
  'reject',
  'error',
  'new',
  'early',
  'passed',
  'known',
  'window-expired',
  'max-age-expired',
  'allow-list',
  'deny-list',
  'auto-allowed',
  'not-grey-listed',
  'not-rcpt-stage',
  'internal-error',
  'unknown',
];

/** The rule of a decision on a triplet, as the engine writes it. */
export const tripletRuleText = (clientGroup: string, sender: string, recipient: string) => `triplet ${clientGroup} ${sender} ${recipient}`;

/** The key a triplet rule names, if `rule` is one that can be rebuilt from it exactly. */
export function parseTripletRule(rule: string): { clientGroup: string; sender: string; recipient: string } | undefined {
  if (!rule.startsWith('triplet ')) return undefined;
  const parts = rule.split(' ');
  if (parts.length !== 4) return undefined;
  return { clientGroup: parts[1]!, sender: parts[2]!, recipient: parts[3]! };
}

/**
 * The first attempt id at or after `at` (one past the last id when there is none): a binary
 * search over the ids, which the filter hands out in time order.
 */
export function attemptIdAt(db: SqliteDatabase, at: number): number {
  const bound = (sql: string) => db.prepare(sql).pluck().get() as number | null;
  const first = bound('SELECT min(id) FROM attempts');
  const last = bound('SELECT max(id) FROM attempts');
  if (first === null || last === null) return 1;
  const atOf = db.prepare('SELECT id, at FROM attempts WHERE id >= ? ORDER BY id LIMIT 1').raw();
  let low = first;
  let high = last + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const row = atOf.get(middle) as [number, number] | undefined;
    if (!row || row[1] >= at) high = middle;
    else low = row[0] + 1;
  }
  return low;
}

/** The ids of `texts` that are stored (a text never stored names no row). */
export function stringIds(db: SqliteDatabase, texts: readonly string[]): Map<string, number> {
  const rows = db.prepare('SELECT text, id FROM strings WHERE text IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(texts)) as Array<[string, number]>;
  return new Map(rows);
}

/** The id of `text`, or -1 (which no row holds) when it was never stored. */
export function stringId(db: SqliteDatabase, text: string): number {
  return (db.prepare('SELECT id FROM strings WHERE text = ?').pluck().get(text) as number | undefined) ?? -1;
}
