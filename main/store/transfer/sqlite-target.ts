import { existsSync, rmSync } from 'node:fs';
import { batchInsert } from '../compact-migration.js';
import { openDatabase, type SqliteDatabase } from '../database.js';
import type { MigrationProgress } from '../compact-migration.js';
import { StringTable } from '../string-table.js';
import { describeExistingData, EXISTING_DATA_SQL } from './existing-data.js';
import type { TargetWriter, TransferTarget } from './transfer-rows.js';
import { TargetNotEmptyError } from './transfer.js';

/** Texts whose ids the copy remembers (some 30 MB): a busy server's log names a few hundred thousand. */
const TEXTS_REMEMBERED = 300_000;

/**
 * A database file as the target: created and migrated like any Greyward database, then filled in
 * one write transaction. It takes a whole greylist only, never a merge: a file's attempt ids are
 * in time order (times are found by a binary search of them), and another host's log would have
 * to be woven in between its rows.
 */
export class SqliteTarget implements TransferTarget {
  readonly canMerge = false;

  private constructor(
    private readonly db: SqliteDatabase,
    readonly description: string,
    /** The file did not exist before: a failed copy removes it again. */
    private readonly created: boolean,
  ) {}

  static open(path: string, progress?: MigrationProgress): SqliteTarget {
    const created = !existsSync(path);
    return new SqliteTarget(openDatabase(path, progress ? { progress } : {}), path, created);
  }

  async existingData(): Promise<string | undefined> {
    return describeExistingData(this.db.prepare(EXISTING_DATA_SQL).get() as Record<string, number>);
  }

  async write<T>(merge: boolean, work: (writer: TargetWriter) => Promise<T>): Promise<T> {
    if (merge) throw new Error(`${this.description} is a database file: --merge needs a PostgreSQL target`);
    const db = this.db;
    // The new pages stay in memory until the commit: a cache of 128 MB keeps them from being spilled and read back.
    const cacheSize = db.pragma('cache_size', { simple: true }) as number;
    db.pragma('cache_size = -131072');
    db.exec('BEGIN IMMEDIATE');
    try {
      // A filter may have written between the first look and this transaction's lock.
      const existing = await this.existingData();
      if (existing !== undefined) throw new TargetNotEmptyError(`${this.description} was written meanwhile (${existing}); nothing was copied`);
      const result = await work(this.writer());
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      if (this.created) this.discard();
      throw error;
    } finally {
      if (db.open) db.pragma(`cache_size = ${cacheSize}`);
    }
  }

  /** Removes the file this copy created. */
  private discard(): void {
    this.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.description}${suffix}`, { force: true });
  }

  private writer(): TargetWriter {
    const db = this.db;
    const strings = new StringTable(db);
    // The table's own cache is sized for a filter's traffic; a whole log names far more texts.
    const ids = new Map<string, number>();
    const id = (text: string) => {
      let found = ids.get(text);
      if (found === undefined) {
        found = strings.intern(text);
        if (ids.size >= TEXTS_REMEMBERED) ids.clear();
        ids.set(text, found);
      }
      return found;
    };
    const idOrNull = (text: string | null) => (text === null ? null : id(text));
    const entries = batchInsert(db, 'list_entries', ['id', 'list', 'kind', 'pattern', 'comment', 'source', 'created_at', 'expires_at', 'hits', 'last_hit_at']);
    const triplets = batchInsert(db, 'triplets', ['id', 'sender', 'recipient', 'client_group', 'first_seen', 'last_seen', 'attempts', 'early_attempts', 'passed_at', 'passes']);
    const clients = batchInsert(db, 'client_passes', ['client', 'passes', 'last_counted_at', 'last_seen']);
    const attempts = batchInsert(db, 'attempts', [
      'id', 'at', 'client_address', 'client_name', 'helo', 'sender', 'recipient', 'queue_id', 'action', 'reason', 'rule', 'delay', 'triplet_id',
      'attempt_number', 'client_group', 'key_sender', 'key_recipient', 'filter',
    ]);
    /** The last attempt id written: ids must grow with time here, whatever order the source numbered them in. */
    let lastAttemptId = 0;
    return {
      dropDefaultEntries: async () => void db.prepare('DELETE FROM list_entries').run(),
      listEntries: async (rows) => {
        for (const r of rows) entries.add(r.id, r.list, r.kind, r.pattern, r.comment, r.source, r.created_at, r.expires_at, r.hits, r.last_hit_at);
        entries.flush();
      },
      settings: async (rows) => {
        const insert = db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)');
        for (const row of rows) insert.run(row.key, row.value, row.updated_at);
        return rows.map((row) => row.key);
      },
      settingChanges: async (rows) => {
        const insert = db.prepare('INSERT INTO setting_changes (at, key, old_value, new_value) VALUES (?, ?, ?, ?)');
        for (const row of rows) insert.run(row.at, row.key, row.old_value, row.new_value);
      },
      triplets: async (rows) => {
        for (const [tripletId, sender, recipient, clientGroup, ...state] of rows) triplets.add(tripletId, id(sender), id(recipient), id(clientGroup), ...state);
        triplets.flush();
      },
      clientPasses: async (rows) => {
        for (const row of rows) clients.add(...row);
        clients.flush();
      },
      attempts: async (rows) => {
        for (const [sourceId, at, address, name, helo, sender, recipient, queueId, action, reason, rule, delay, tripletId, number, group, keySender, keyRecipient, filter] of rows) {
          lastAttemptId = Math.max(sourceId, lastAttemptId + 1);
          attempts.add(
            lastAttemptId, at, id(address), id(name), id(helo), id(sender), id(recipient), queueId, id(action), id(reason), idOrNull(rule), delay, tripletId,
            number, idOrNull(group), idOrNull(keySender), idOrNull(keyRecipient), idOrNull(filter),
          );
        }
        attempts.flush();
      },
      finish: async (sourcePolicyVersion) => {
        // A filter on this file reads the lists and settings again, and forgets the triplets it remembers.
        db.prepare("UPDATE meta SET value = max(value, ?) + 1 WHERE key = 'policy_version'").run(sourcePolicyVersion);
        db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'triplet_edits'").run();
      },
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
