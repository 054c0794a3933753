import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** How long a write waits for another process's lock. The filter keeps this short: it answers Postfix, and fails open. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export class DatabaseOpenError extends Error {}

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
      migrate(db);
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
