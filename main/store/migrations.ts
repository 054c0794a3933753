import type { Database } from 'better-sqlite3';
import { recountClientPasses } from './client-counters.js';
import { addDefaultEntries } from './default-entries.js';
import { compactAttemptLog, type MigrationProgress } from './compact-migration.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL alone cannot say, run after `sql` in the same transaction. */
  apply?: (db: Database, progress: MigrationProgress) => void;
}

const POLICY_TABLE_TRIGGERS = ['settings', 'list_entries']
  .flatMap((table) =>
    (table === 'list_entries' ? ['INSERT', 'DELETE', 'UPDATE OF list, kind, pattern, expires_at'] : ['INSERT', 'DELETE', 'UPDATE']).map(
      (event, index) => `
CREATE TRIGGER ${table}_policy_version_${index} AFTER ${event} ON ${table}
BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'policy_version';
END;`,
    ),
  )
  .join('\n');

/** Append only: a released migration never changes, or databases in the field would disagree with each other. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'greylist tables, lists, settings and the attempt log',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
INSERT INTO meta (key, value) VALUES ('policy_version', 1);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE list_entries (
  id INTEGER PRIMARY KEY,
  list TEXT NOT NULL CHECK (list IN ('allow', 'grey', 'deny')),
  kind TEXT NOT NULL,
  pattern TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  hits INTEGER NOT NULL DEFAULT 0,
  last_hit_at INTEGER,
  UNIQUE (list, kind, pattern)
) STRICT;

CREATE TABLE triplets (
  id INTEGER PRIMARY KEY,
  client_group TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  early_attempts INTEGER NOT NULL,
  passed_at INTEGER,
  passes INTEGER NOT NULL,
  UNIQUE (client_group, sender, recipient)
) STRICT;
CREATE INDEX triplets_last_seen ON triplets (last_seen);
CREATE INDEX triplets_waiting ON triplets (first_seen) WHERE passed_at IS NULL;

CREATE TABLE client_passes (
  client_group TEXT PRIMARY KEY,
  passes INTEGER NOT NULL,
  last_counted_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) STRICT;
CREATE INDEX client_passes_last_seen ON client_passes (last_seen);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  client_address TEXT NOT NULL,
  client_name TEXT NOT NULL,
  helo TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  queue_id TEXT NOT NULL,
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  rule TEXT NOT NULL,
  delay INTEGER,
  triplet_id INTEGER
) STRICT;
CREATE INDEX attempts_at ON attempts (at);
CREATE INDEX attempts_triplet ON attempts (triplet_id);
${POLICY_TABLE_TRIGGERS}
`,
  },
  {
    version: 2,
    name: 'attempt numbers and the running filter',
    sql: `
ALTER TABLE attempts ADD COLUMN attempt_number INTEGER;

-- One row per filter process serving this database, refreshed while it runs, so that the
-- desktop app attaches to a running filter instead of starting a second one.
CREATE TABLE filter_presence (
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  endpoints TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (host, pid)
) STRICT;
`,
  },
  {
    version: 3,
    name: 'index every triplet by first attempt',
    // The Greylist screen sorts by first attempt; expiry of waiting triplets uses the same index.
    sql: `
DROP INDEX triplets_waiting;
CREATE INDEX triplets_first_seen ON triplets (first_seen);
`,
  },
  {
    version: 4,
    name: 'count the edits of triplets made from outside the filter',
    // The filter keeps the triplets it has seen lately in memory; an edit from the app (pass now,
    // delete) bumps this, and the filter drops what it remembers.
    sql: `INSERT INTO meta (key, value) VALUES ('triplet_edits', 0);`,
  },
  {
    version: 5,
    name: 'allow mail to postmaster@ and abuse@',
    // Here and not at every start: a default the administrator removes must stay removed.
    sql: '',
    apply: (db) => addDefaultEntries(db, Math.floor(Date.now() / 1000)),
  },
  {
    version: 6,
    name: 'count auto-allow per client address, first passes of triplets only',
    // A row is now a client address, or a network when the setting autoAllowBy says so.
    sql: 'ALTER TABLE client_passes RENAME COLUMN client_group TO client;',
    apply: recountClientPasses,
  },
  {
    version: 7,
    name: 'the compact layout: repeated texts stored once, rows of integers',
    sql: '',
    apply: compactAttemptLog,
  },
  {
    version: 8,
    name: 'remember when each setting changed, and from what',
    // The screens mark a change on the charts, and history is judged by the settings of its time.
    sql: `
CREATE TABLE setting_changes (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  key TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT
) STRICT;
CREATE INDEX setting_changes_at ON setting_changes (at);`,
  },
  {
    version: 9,
    name: 'which filter decided an attempt, in a copy of a shared database',
    // A workstation's copy of a greylist several hosts share (PgReplica) fills it; a filter's own
    // file leaves it NULL, which costs nothing to store.
    sql: 'ALTER TABLE attempts ADD COLUMN filter INTEGER;',
  },
];

/** The first schema of the compact layout (see compact-log.ts). */
export const COMPACT_LAYOUT_VERSION = 7;

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export class FutureSchemaError extends Error {
  constructor(found: number, known: number = LATEST_SCHEMA_VERSION) {
    super(
      `This database was written by a newer Greyward (schema version ${found}; this Greyward knows up to ${known}). ` +
        'Upgrade Greyward, or point it at another database; nothing was changed.',
    );
  }
}

export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, progress: MigrationProgress = () => {}): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) throw new FutureSchemaError(from, latest);
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.apply?.(db, progress);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, latest) };
}
