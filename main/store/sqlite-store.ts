import type { Statement } from 'better-sqlite3';
import { sortListEntries } from '../../shared/entry-order.js';
import type { ListEntry, ListEntryChange, NewListEntry } from '../../shared/lists.js';
import { planSettingsChange, SettingsRefused, type SettingsChangePlan } from '../../shared/settings-change.js';
import type { SettingKey, Settings } from '../../shared/settings.js';
import { BackgroundWriter, inlineWriter } from './background-writer.js';
import type { SqliteDatabase } from './database.js';
import { prepareDecisionWriter } from './decision-writer.js';
import { checkEntry, duplicateEntryError, editedEntry, InvalidEntriesError, toListEntry, type ListEntryRow } from './list-entry-rows.js';
import { isPatternKind, listCapacityProblem } from './list-tables.js';
import { MemoryLookups, type MemoryLookupOptions } from './memory-lookups.js';
import { readPolicyOnWorker } from './policy-loader.js';
import { readPolicySnapshot, readStoredSettings } from './policy-reader.js';
import type {
  AdminStore,
  DecisionWrite,
  ExpiryLimits,
  ClientPasses,
  FilterPresence,
  FilterStore,
  StringCollection,
  GreylistState,
  TripletState,
  ListQuery,
  PolicySnapshot,
  TripletKey,
} from './greylist-store.js';

/** A triplet and its client's passes in one statement, read as an array: this runs for every recipient. */
export const FIND_STATE_SQL = `
  SELECT t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes, t.id, c.passes, c.last_counted_at, c.last_seen
  FROM (SELECT ? AS client_group, ? AS sender, ? AS recipient, ? AS client) k
  LEFT JOIN triplets t ON t.sender = (SELECT id FROM strings WHERE text = k.sender)
    AND t.recipient = (SELECT id FROM strings WHERE text = k.recipient)
    AND t.client_group = (SELECT id FROM strings WHERE text = k.client_group)
  LEFT JOIN client_passes c ON c.client = k.client`;

export interface SqliteStoreOptions {
  /** Commit decisions and expire rows on a worker thread with its own connection (the filter's way). */
  backgroundWrites?: boolean;
  /** Answer what it can from memory on this thread (the filter's way): see MemoryLookups. */
  lookupsFromMemory?: MemoryLookupOptions;
  busyTimeoutMs?: number;
  /** Read lists and settings on a worker thread, so that large lists do not hold up this one (the filter's way). */
  policyOnWorker?: boolean;
}

/** Lists smaller than this are read on the caller's thread (see readPolicy). */
const INLINE_POLICY_ENTRIES = 5_000;

/** The embedded store: reads on the caller's connection, the filter's writes inline or on a worker thread. */
export class SqliteStore implements FilterStore, AdminStore {
  private readonly findStateStmt: Statement<[string, string, string, string]>;
  private readonly versionStmt: Statement<[]>;
  private readonly writer: Pick<BackgroundWriter, 'commit' | 'expire' | 'collectStrings' | 'announce'> & { close?(): Promise<void> };
  private readonly memory: MemoryLookups | undefined;
  private readonly policyOnWorker: boolean;
  /** Entries in the lists last read; unknown before the first read. */
  private policyEntries: number | undefined;

  constructor(readonly db: SqliteDatabase, options: SqliteStoreOptions = {}) {
    this.findStateStmt = db.prepare(FIND_STATE_SQL).raw();
    this.versionStmt = db.prepare("SELECT value FROM meta WHERE key = 'policy_version'").pluck();
    this.writer = options.backgroundWrites
      ? new BackgroundWriter(db.name, options.busyTimeoutMs ?? 1000)
      : inlineWriter(prepareDecisionWriter(db));
    // A database in memory exists on this connection only.
    this.policyOnWorker = (options.policyOnWorker ?? false) && !db.memory;
    if (options.lookupsFromMemory) this.memory = new MemoryLookups(db, options.lookupsFromMemory);
  }

  /**
   * Lists under 5,000 entries read in about 20 ms here (measured: 10,000 in 40 ms); starting a thread would cost more,
   * and a thread at the lowest priority can wait seconds for a busy machine's cores. Only lists
   * that were large last time (or are not known yet) are read on the worker.
   */
  async readPolicy(): Promise<PolicySnapshot> {
    const onWorker = this.policyOnWorker && (this.policyEntries === undefined || this.policyEntries >= INLINE_POLICY_ENTRIES);
    const snapshot = onWorker ? await readPolicyOnWorker(this.db.name) : readPolicySnapshot(this.db);
    this.policyEntries = Object.values(snapshot.lists).reduce((sum, table) => sum + table.count, 0);
    return snapshot;
  }

  async policyVersion(): Promise<number> {
    return this.versionStmt.get() as number;
  }

  /** True once lookups from memory answer first contacts without a read (see MemoryLookups). */
  get lookupsWarm(): boolean {
    return this.memory?.warm ?? false;
  }

  findGreylistState(key: TripletKey, client: string): GreylistState {
    const remembered = this.memory?.find(key, client);
    if (remembered) return remembered;
    const found = this.readGreylistState(key, client);
    this.memory?.read(key, client, found);
    return found;
  }

  private readGreylistState(key: TripletKey, client: string): GreylistState {
    const row = this.findStateStmt.get(key.clientGroup, key.sender, key.recipient, client) as Array<number | null>;
    const triplet: TripletState | undefined =
      row[0] === null
        ? undefined
        : { firstSeen: row[0]!, lastSeen: row[1]!, attempts: row[2]!, earlyAttempts: row[3]!, passedAt: row[4] ?? null, passes: row[5]! };
    const clientPasses: ClientPasses | undefined =
      row[7] === null ? undefined : { client, passes: row[7]!, lastCountedAt: row[8]!, lastSeen: row[9]! };
    return triplet ? { triplet, tripletId: row[6]!, clientPasses } : { triplet, clientPasses };
  }

  commit(writes: readonly DecisionWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    let keys: string[] | undefined;
    let committed: Promise<unknown>;
    try {
      keys = this.memory?.committing(writes);
      committed = this.writer.commit(writes);
    } catch (error) {
      // Memory may already hold part of what was not written: it forgets, as after any failed commit.
      this.memory?.settled(keys ?? [], true);
      return Promise.reject(error as Error);
    }
    // Only the keys are held while the writer thread works, so that the decisions themselves die young.
    return committed.then(
      () => void (keys && this.memory?.settled(keys, false)),
      (error: unknown) => {
        if (keys) this.memory?.settled(keys, true);
        throw error;
      },
    );
  }

  /** Drops what memory holds of the greylist; lookups read until the stored keys are read again. */
  rereadGreylist(): void {
    this.memory?.reread();
  }

  async expire(limits: ExpiryLimits): Promise<number> {
    const deleted = await this.writer.expire(limits);
    if (deleted > 0) this.memory?.expired();
    return deleted;
  }

  collectStrings(now: number): Promise<StringCollection> {
    return this.writer.collectStrings(now);
  }

  async announce(presence: FilterPresence, running: boolean): Promise<void> {
    await this.writer.announce(presence, running);
  }

  /** Filters that said they serve this database within `freshSeconds`. */
  async presentFilters(now: number, freshSeconds: number): Promise<FilterPresence[]> {
    const rows = this.db
      .prepare('SELECT pid, host, endpoints, version, started_at AS startedAt, seen_at AS seenAt FROM filter_presence WHERE seen_at >= ? ORDER BY seen_at DESC')
      .all(now - freshSeconds) as Array<Omit<FilterPresence, 'endpoints'> & { endpoints: string }>;
    return rows.map((row) => ({ ...row, endpoints: JSON.parse(row.endpoints) as FilterPresence['endpoints'] }));
  }

  async close(): Promise<void> {
    this.memory?.stop();
    await this.writer.close?.();
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
    const sql = `SELECT * FROM list_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return sortListEntries((this.db.prepare(sql).all(params) as ListEntryRow[]).map(toListEntry));
  }

  async addEntries(entries: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }> {
    const problems: Array<{ index: number; message: string }> = [];
    const rows = entries.map((entry, index) => {
      try {
        return { ...checkEntry(entry, now), source: entry.source ?? '', createdAt: now };
      } catch (error) {
        problems.push({ index, message: (error as Error).message });
        return undefined;
      }
    });
    if (problems.length > 0) throw new InvalidEntriesError(problems);
    this.refuseBeyondCapacity(rows.length, rows.filter((row) => isPatternKind(row!.kind)).length);
    const insert = this.insertEntryStatement();
    return this.db.transaction(() => {
      let added = 0;
      for (const row of rows) added += insert.run(row!).changes;
      return { added, duplicates: rows.length - added };
    })();
  }

  /**
   * Adds entries read one at a time (a file being imported), in one transaction: all of them, or
   * none from the first that is invalid. The caller checks capacity first (see capacityProblem).
   */
  async importEntries(entries: Iterable<NewListEntry>, now: number): Promise<{ added: number; duplicates: number }> {
    const insert = this.insertEntryStatement();
    return this.db.transaction(() => {
      let added = 0;
      let index = 0;
      for (const entry of entries) {
        let row;
        try {
          row = { ...checkEntry(entry, now), source: entry.source ?? '', createdAt: now };
        } catch (error) {
          throw new InvalidEntriesError([{ index, message: (error as Error).message }]);
        }
        added += insert.run(row).changes;
        index++;
      }
      return { added, duplicates: index - added };
    })();
  }

  /** Why adding this many entries (of which `patterns` regexes) would overfill the lists, or undefined. */
  capacityProblem(entries: number, patterns: number): string | undefined {
    const [stored, storedPatterns] = this.db
      .prepare("SELECT count(*), count(*) FILTER (WHERE kind LIKE '%-pattern') FROM list_entries")
      .raw()
      .get() as [number, number];
    return listCapacityProblem(stored, storedPatterns, entries, patterns);
  }

  private refuseBeyondCapacity(entries: number, patterns: number): void {
    const problem = this.capacityProblem(entries, patterns);
    if (problem) throw new Error(problem);
  }

  private insertEntryStatement() {
    return this.db.prepare(
      `INSERT INTO list_entries (list, kind, pattern, comment, source, created_at, expires_at)
       VALUES (@list, @kind, @pattern, @comment, @source, @createdAt, @expiresAt)
       ON CONFLICT (list, kind, pattern) DO NOTHING`,
    );
  }

  /**
   * Changes an entry's pattern, comment or expiry, checked as an added entry is; its id, list,
   * kind, source, hits and last hit stay. An expiry that is not changed is kept as it is, even if
   * it has passed since: writing a comment on an expired entry is not setting its expiry.
   */
  async editEntry(id: number, change: ListEntryChange, now: number): Promise<ListEntry> {
    const select = this.db.prepare('SELECT * FROM list_entries WHERE id = ?');
    return this.db.transaction(() => {
      const row = select.get(id) as ListEntryRow | undefined;
      if (!row) throw new Error(`there is no list entry ${id}`);
      const current = toListEntry(row);
      const checked = editedEntry(current, change, now);
      const { expiresAt } = checked;
      const other = this.db
        .prepare('SELECT id FROM list_entries WHERE list = ? AND kind = ? AND pattern = ? AND id != ?')
        .pluck()
        .get(current.list, current.kind, checked.pattern, id) as number | undefined;
      if (other !== undefined) throw duplicateEntryError({ pattern: checked.pattern, list: current.list }, other);
      const sets = (['pattern', 'comment', 'expiresAt'] as const).filter((field) => checked[field] !== current[field]);
      if (sets.length > 0) {
        const columns = sets.map((field) => (field === 'expiresAt' ? 'expires_at = @expiresAt' : `${field} = @${field}`)).join(', ');
        this.db.prepare(`UPDATE list_entries SET ${columns} WHERE id = @id`).run({ id, pattern: checked.pattern, comment: checked.comment, expiresAt });
        // The version's triggers leave comments out (hit counts update that row all the time); an
        // edited comment still moves it, so that every open screen reads the lists again.
        if (sets.length === 1 && sets[0] === 'comment') this.db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'policy_version'").run();
      }
      return toListEntry(select.get(id) as ListEntryRow);
    })();
  }

  async removeEntries(ids: readonly number[]): Promise<number> {
    const remove = this.db.prepare('DELETE FROM list_entries WHERE id = ?');
    return this.db.transaction(() => ids.reduce((count, id) => count + remove.run(id).changes, 0))();
  }

  async storedSettings(): Promise<Partial<Record<SettingKey, unknown>>> {
    return readStoredSettings(this.db);
  }

  /**
   * Writes `changes` and `resets` together, or nothing: the whole change is checked with the
   * stored settings inside the transaction (see planSettingsChange) and refused with its reasons.
   */
  async changeSettings(changes: Partial<Record<string, unknown>>, resets: readonly SettingKey[], now: number): Promise<SettingsChangePlan> {
    const upsert = this.db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    const remove = this.db.prepare('DELETE FROM settings WHERE key = ?');
    // NULL stands for the default: a value never set, or reset.
    const remember = this.db.prepare('INSERT INTO setting_changes (at, key, old_value, new_value) VALUES (?, ?, ?, ?)');
    return this.db.transaction(() => {
      const stored = readStoredSettings(this.db);
      const plan = planSettingsChange(stored, changes, resets);
      if (plan.errors.length > 0) throw new SettingsRefused(plan.errors);
      const before = (key: string) => (key in stored ? JSON.stringify(stored[key as SettingKey]) : null);
      for (const [key, value] of Object.entries(plan.values)) {
        upsert.run(key, JSON.stringify(value), now);
        if (before(key) !== JSON.stringify(value)) remember.run(now, key, before(key), JSON.stringify(value));
      }
      for (const key of plan.resets) {
        if (remove.run(key).changes > 0) remember.run(now, key, before(key), null);
      }
      return plan;
    })();
  }

  async setSetting<K extends SettingKey>(key: K, value: Settings[K], now: number): Promise<void> {
    await this.changeSettings({ [key]: value }, [], now);
  }


}
