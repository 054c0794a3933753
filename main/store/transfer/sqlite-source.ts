import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { SqliteDatabase } from '../database.js';
import { FutureSchemaError, LATEST_SCHEMA_VERSION } from '../migrations.js';
import { BATCH_ROWS, type AttemptRow, type ClientPassRow, type SettingRow, type SourceReader, type TableCounts, type TransferSource, type TripletRow } from './transfer-rows.js';

const text = (column: string) => `(SELECT text FROM strings WHERE id = ${column})`;

/** Pages of `sql` (which takes the last id read and a limit), until one comes back empty. */
async function* pages<T extends unknown[]>(db: SqliteDatabase, sql: string): AsyncIterable<T[]> {
  const statement = db.prepare(sql).raw();
  for (let after: unknown = -Infinity; ; ) {
    const rows = statement.all(after, BATCH_ROWS) as T[];
    if (rows.length === 0) return;
    yield rows;
    after = rows.at(-1)![0];
  }
}

/**
 * A database file read as it is, never written: opened read-only, one read transaction for the
 * whole copy (in WAL mode, a snapshot while a filter goes on writing).
 */
export class SqliteSource implements TransferSource {
  private constructor(
    private readonly db: SqliteDatabase,
    readonly description: string,
  ) {}

  static open(path: string): SqliteSource {
    if (!existsSync(path)) throw new Error(`${path} does not exist`);
    let db: SqliteDatabase | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      const version = db.pragma('user_version', { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('meta', 'list_entries', 'triplets', 'attempts')").pluck().get() as number;
      if (version === 0 || tables < 4) throw new Error(`${path} is not a Greyward database`);
      if (version > LATEST_SCHEMA_VERSION) throw new FutureSchemaError(version);
      if (version < LATEST_SCHEMA_VERSION) {
        throw new Error(
          `${path} was written by an older Greyward (schema version ${version}); open it once with this one to upgrade it (e.g. greyward settings show --db ${path}), then migrate`,
        );
      }
      return new SqliteSource(db, path);
    } catch (error) {
      db?.close();
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new Error(`${path} is not a Greyward database or is corrupt (${(error as Error).message})`);
      throw error;
    }
  }

  async snapshot<T>(read: (reader: SourceReader) => Promise<T>): Promise<T> {
    const db = this.db;
    db.exec('BEGIN');
    try {
      // The snapshot starts with the first read.
      db.prepare('SELECT count(*) FROM meta').get();
      return await read(this.reader());
    } finally {
      db.exec('COMMIT');
    }
  }

  private reader(): SourceReader {
    const db = this.db;
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return {
      counts: async (): Promise<TableCounts> => ({
        list_entries: count('list_entries'),
        settings: count('settings'),
        setting_changes: count('setting_changes'),
        triplets: count('triplets'),
        client_passes: count('client_passes'),
        attempts: count('attempts'),
      }),
      policyVersion: async () => (db.prepare("SELECT value FROM meta WHERE key = 'policy_version'").pluck().get() as number | undefined) ?? 0,
      runningFilters: async (since) =>
        (db.prepare('SELECT host, pid FROM filter_presence WHERE seen_at >= ? ORDER BY host, pid').all(since) as Array<{ host: string; pid: number }>).map(
          ({ host, pid }) => `${host} (pid ${pid})`,
        ),
      listEntries: () =>
        mapPages(
          pages<[number, string, string, string, string, string, number, number | null, number, number | null]>(
            db,
            'SELECT id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at FROM list_entries WHERE id > ? ORDER BY id LIMIT ?',
          ),
          ([id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at]) => ({ id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at }),
        ),
      settings: async () => db.prepare('SELECT key, value, updated_at FROM settings ORDER BY key').all() as SettingRow[],
      settingChanges: () =>
        mapPages(pages<[number, number, string, string | null, string | null]>(db, 'SELECT id, at, key, old_value, new_value FROM setting_changes WHERE id > ? ORDER BY id LIMIT ?'), ([, at, key, old_value, new_value]) => ({
          at,
          key,
          old_value,
          new_value,
        })),
      triplets: () =>
        pages<TripletRow>(
          db,
          `SELECT id, ${text('sender')}, ${text('recipient')}, ${text('client_group')}, first_seen, last_seen, attempts, early_attempts, passed_at, passes
           FROM triplets WHERE id > ? ORDER BY id LIMIT ?`,
        ),
      // A number sorts before every text: the first page starts at the first client.
      clientPasses: () => pages<ClientPassRow>(db, 'SELECT client, passes, last_counted_at, last_seen FROM client_passes WHERE client > ? ORDER BY client LIMIT ?'),
      // Ids are in time order: the filter appends attempts as it decides them.
      attempts: () =>
          pages<AttemptRow>(
            db,
            `SELECT id, at, ${text('client_address')}, ${text('client_name')}, ${text('helo')}, ${text('sender')}, ${text('recipient')}, queue_id,
               ${text('action')}, ${text('reason')}, ${text('rule')}, delay, triplet_id, attempt_number,
               ${text('client_group')}, ${text('key_sender')}, ${text('key_recipient')}, NULL
             FROM attempts WHERE id > ? ORDER BY id LIMIT ?`,
          ),
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

async function* mapPages<T, R>(source: AsyncIterable<T[]>, map: (row: T) => R): AsyncIterable<R[]> {
  for await (const rows of source) yield rows.map(map);
}
