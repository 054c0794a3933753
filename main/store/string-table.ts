import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/** Ids remembered per connection; past this the cache starts over, so that a flood of new senders cannot grow it. */
const CACHE_LIMIT = 20_000;

/**
 * The strings table: every text the log and the greylist repeat (client names, HELO names,
 * senders, recipients, networks, rules) stored once, and referenced by its integer id. Only the
 * writing side creates strings; readers join them back, or look ids up by text.
 */
export class StringTable {
  private readonly cache = new Map<string, number>();
  private readonly findStmt: Statement<[string]>;
  private readonly insertStmt: Statement<[string]>;
  /** Told every id handed out, while a collection of unused strings runs (see StringCollector). */
  onUse: ((id: number) => void) | undefined;

  constructor(db: SqliteDatabase) {
    this.findStmt = db.prepare('SELECT id FROM strings WHERE text = ?').pluck();
    // A new text is stored with one statement; one already stored returns nothing and is looked up.
    this.insertStmt = db.prepare('INSERT INTO strings (text) VALUES (?) ON CONFLICT (text) DO NOTHING RETURNING id').pluck();
  }

  /** The id of `text`, stored now if it is new. Runs inside the caller's write transaction. */
  intern(text: string): number {
    let id = this.cache.get(text);
    if (id === undefined) {
      id = (this.insertStmt.get(text) as number | undefined) ?? (this.findStmt.get(text) as number);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(text, id);
    }
    this.onUse?.(id);
    return id;
  }

  /** Forgets the ids it knows: after a rollback they may name strings that were never stored. */
  forget(): void {
    this.cache.clear();
  }
}
