import Database from 'better-sqlite3';
import type { MigrationProgress } from './compact-migration.js';
import { COMPACT_LAYOUT_VERSION, migrate } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** How long a write waits for another process's lock. The filter keeps this short: it answers Postfix, and fails open. */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Where a long upgrade says how far it is; standard error unless given. */
  progress?: MigrationProgress;
}

export class DatabaseOpenError extends Error {}

/** An upgrade that rewrote the tables leaves the old pages free: give them back to the disk. */
function releaseFreedPages(db: SqliteDatabase, progress: MigrationProgress): void {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  if (free < pages / 4) return;
  // Only a copy that takes a while is worth a word.
  const say = free >= 25_000 ? progress : () => {};
  const started = Date.now();
  say(`giving ${Math.round((free * (db.pragma('page_size', { simple: true }) as number)) / 2 ** 20)} MiB of freed space back to the disk`);
  try {
    db.exec('VACUUM');
  } catch (error) {
    // Another process has the database open: the space stays free inside the file, and is reused.
    progress(`the freed space stays in the file for now (${(error as Error).message})`);
    return;
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Opens (and creates or upgrades) a Greyward database, with a message an administrator can act on when it cannot. */
export function openDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // WAL with NORMAL keeps every committed transaction across a process crash; only power loss can cost the last ones.
      db.pragma('synchronous = NORMAL');
      const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
      const { from } = migrate(db, undefined, progress);
      if (from > 0 && from < COMPACT_LAYOUT_VERSION) releaseFreedPages(db, progress);
    }
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new DatabaseOpenError(`${path} is not a Greyward database or is corrupt (${(error as Error).message}); it was left untouched.`);
    }
    if (code === 'SQLITE_BUSY') {
      throw new DatabaseOpenError(`${path} is locked by another process; try again once it has finished.`);
    }
    if (code === 'SQLITE_CANTOPEN') {
      throw new DatabaseOpenError(`cannot open ${path}: check that the directory exists and is writable.`);
    }
    if (error instanceof Error && !(error instanceof DatabaseOpenError)) {
      throw new DatabaseOpenError(`cannot open ${path}: ${error.message}`);
    }
    throw error;
  }
}
