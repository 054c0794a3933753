import type { Statement } from 'better-sqlite3';
import { isListKind, isListName, normalisePattern, type ListEntry, type NewListEntry } from '../../shared/lists.js';
import { resolveSettings, validateSetting, type SettingKey, type Settings } from '../../shared/settings.js';
import type { SqliteDatabase } from './database.js';
import type {
  AdminStore,
  ClientPasses,
  DecisionWrite,
  ExpiryLimits,
  FilterStore,
  ListQuery,
  PolicySnapshot,
  TripletKey,
  TripletState,
} from './greylist-store.js';

interface ListEntryRow {
  id: number;
  list: string;
  kind: string;
  pattern: string;
  comment: string;
  source: string;
  created_at: number;
  expires_at: number | null;
  hits: number;
  last_hit_at: number | null;
}

/** Entries that cannot be added, each with its position in the batch and what is wrong with it. */
export class InvalidEntriesError extends Error {
  constructor(readonly problems: Array<{ index: number; message: string }>) {
    super(problems.map((p) => `entry ${p.index + 1}: ${p.message}`).join('\n'));
  }
}

function toListEntry(row: ListEntryRow): ListEntry {
  return {
    id: row.id,
    list: row.list as ListEntry['list'],
    kind: row.kind as ListEntry['kind'],
    pattern: row.pattern,
    comment: row.comment,
    source: row.source,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    hits: row.hits,
    lastHitAt: row.last_hit_at,
  };
}

/** The embedded store: answers at once, from one better-sqlite3 connection. */
export class SqliteStore implements FilterStore, AdminStore {
  private readonly findTripletStmt: Statement<[string, string, string]>;
  private readonly upsertTripletStmt: Statement;
  private readonly insertAttemptStmt: Statement;
  private readonly findClientStmt: Statement<[string]>;
  private readonly upsertClientStmt: Statement;
  private readonly hitStmt: Statement;
  private readonly versionStmt: Statement<[]>;
  private readonly commitBatch: (writes: readonly DecisionWrite[]) => void;

  constructor(readonly db: SqliteDatabase) {
    this.findTripletStmt = db.prepare(
      `SELECT first_seen AS firstSeen, last_seen AS lastSeen, attempts, early_attempts AS earlyAttempts, passed_at AS passedAt, passes
       FROM triplets WHERE client_group = ? AND sender = ? AND recipient = ?`,
    );
    this.upsertTripletStmt = db.prepare(
      `INSERT INTO triplets (client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
       VALUES (@clientGroup, @sender, @recipient, @firstSeen, @lastSeen, @attempts, @earlyAttempts, @passedAt, @passes)
       ON CONFLICT (client_group, sender, recipient) DO UPDATE SET
         first_seen = excluded.first_seen, last_seen = excluded.last_seen, attempts = excluded.attempts,
         early_attempts = excluded.early_attempts, passed_at = excluded.passed_at, passes = excluded.passes
       RETURNING id`,
    );
    this.insertAttemptStmt = db.prepare(
      `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id)
       VALUES (@at, @clientAddress, @clientName, @helo, @sender, @recipient, @queueId, @action, @reason, @rule, @delay, @tripletId)`,
    );
    this.findClientStmt = db.prepare(
      `SELECT client_group AS clientGroup, passes, last_counted_at AS lastCountedAt, last_seen AS lastSeen
       FROM client_passes WHERE client_group = ?`,
    );
    this.upsertClientStmt = db.prepare(
      `INSERT INTO client_passes (client_group, passes, last_counted_at, last_seen)
       VALUES (@clientGroup, @passes, @lastCountedAt, @lastSeen)
       ON CONFLICT (client_group) DO UPDATE SET
         passes = excluded.passes, last_counted_at = excluded.last_counted_at, last_seen = excluded.last_seen`,
    );
    this.hitStmt = db.prepare('UPDATE list_entries SET hits = hits + 1, last_hit_at = @at WHERE id = @entryId');
    this.versionStmt = db.prepare("SELECT value FROM meta WHERE key = 'policy_version'").pluck();
    this.commitBatch = db.transaction((writes: readonly DecisionWrite[]) => {
      for (const write of writes) {
        let tripletId: number | null = null;
        if (write.triplet) {
          const row = this.upsertTripletStmt.get({ ...write.triplet.key, ...write.triplet.state }) as { id: number };
          tripletId = row.id;
        }
        this.insertAttemptStmt.run({ ...write.attempt, tripletId });
        if (write.clientPasses) this.upsertClientStmt.run(write.clientPasses);
        if (write.listHit) this.hitStmt.run(write.listHit);
      }
    });
  }

  async readPolicy(): Promise<PolicySnapshot> {
    return this.db.transaction(() => {
      const version = this.versionStmt.get() as number;
      const { settings, problems } = resolveSettings(this.readStoredSettings());
      const entries = (this.db.prepare('SELECT * FROM list_entries ORDER BY id').all() as ListEntryRow[]).map(toListEntry);
      return { version, settings, problems, entries };
    })();
  }

  async policyVersion(): Promise<number> {
    return this.versionStmt.get() as number;
  }

  async findTriplet(key: TripletKey): Promise<TripletState | undefined> {
    return this.findTripletStmt.get(key.clientGroup, key.sender, key.recipient) as TripletState | undefined;
  }

  async findClientPasses(clientGroup: string): Promise<ClientPasses | undefined> {
    return this.findClientStmt.get(clientGroup) as ClientPasses | undefined;
  }

  async commit(writes: readonly DecisionWrite[]): Promise<void> {
    if (writes.length > 0) this.commitBatch(writes);
  }

  async expire({ now, settings, batch }: ExpiryLimits): Promise<number> {
    const run = (sql: string, ...params: number[]) => this.db.prepare(sql).run(...params, batch).changes;
    // Waiting triplets stay a day past their window so that the lost ones can still be seen.
    const waitingCutoff = now - settings.retryWindow - 86_400;
    const idleCutoff = now - settings.maxAge;
    return this.db.transaction(
      () =>
        run('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE passed_at IS NULL AND first_seen < ? LIMIT ?)', waitingCutoff) +
        run('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE last_seen < ? LIMIT ?)', idleCutoff) +
        run('DELETE FROM client_passes WHERE client_group IN (SELECT client_group FROM client_passes WHERE last_seen < ? LIMIT ?)', idleCutoff) +
        run('DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ? ORDER BY at LIMIT ?)', now - settings.logRetention),
    )();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async listEntries(query: ListQuery = {}): Promise<ListEntry[]> {
    const where: string[] = [];
    const params: Record<string, string> = {};
    if (query.list) {
      where.push('list = @list');
      params.list = query.list;
    }
    if (query.search) {
      where.push("(pattern LIKE @search ESCAPE '\\' OR comment LIKE @search ESCAPE '\\')");
      params.search = `%${query.search.replace(/[\\%_]/g, '\\$&')}%`;
    }
    const sql = `SELECT * FROM list_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY list, kind, pattern`;
    return (this.db.prepare(sql).all(params) as ListEntryRow[]).map(toListEntry);
  }

  async addEntries(entries: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }> {
    const problems: Array<{ index: number; message: string }> = [];
    const rows = entries.map((entry, index) => {
      try {
        if (!isListName(entry.list)) throw new Error(`unknown list "${entry.list}" (allow, grey or deny)`);
        if (!isListKind(entry.kind)) throw new Error(`unknown kind "${entry.kind}"`);
        return {
          list: entry.list,
          kind: entry.kind,
          pattern: normalisePattern(entry.kind, entry.pattern),
          comment: entry.comment ?? '',
          source: entry.source ?? '',
          createdAt: now,
          expiresAt: entry.expiresAt ?? null,
        };
      } catch (error) {
        problems.push({ index, message: (error as Error).message });
        return undefined;
      }
    });
    if (problems.length > 0) throw new InvalidEntriesError(problems);
    const insert = this.db.prepare(
      `INSERT INTO list_entries (list, kind, pattern, comment, source, created_at, expires_at)
       VALUES (@list, @kind, @pattern, @comment, @source, @createdAt, @expiresAt)
       ON CONFLICT (list, kind, pattern) DO NOTHING`,
    );
    return this.db.transaction(() => {
      let added = 0;
      for (const row of rows) added += insert.run(row!).changes;
      return { added, duplicates: rows.length - added };
    })();
  }

  async removeEntries(ids: readonly number[]): Promise<number> {
    const remove = this.db.prepare('DELETE FROM list_entries WHERE id = ?');
    return this.db.transaction(() => ids.reduce((count, id) => count + remove.run(id).changes, 0))();
  }

  async storedSettings(): Promise<Partial<Record<SettingKey, unknown>>> {
    return this.readStoredSettings();
  }

  async setSetting<K extends SettingKey>(key: K, value: Settings[K], now: number): Promise<void> {
    const valid = validateSetting(key, value);
    this.db
      .prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(valid), now);
  }

  async resetSetting(key: SettingKey): Promise<void> {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  private readStoredSettings(): Partial<Record<SettingKey, unknown>> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const stored: Record<string, unknown> = {};
    for (const row of rows) {
      try {
        stored[row.key] = JSON.parse(row.value);
      } catch {
        stored[row.key] = row.value;
      }
    }
    return stored;
  }
}
