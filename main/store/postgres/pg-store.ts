import type { ListEntry, ListEntryChange, NewListEntry } from '../../../shared/lists.js';
import type { SettingsChangePlan } from '../../../shared/settings-change.js';
import type { SettingKey, Settings } from '../../../shared/settings.js';
import {
  StoreUnavailableError,
  type AdminStore,
  type DecisionWrite,
  type ExpiryLimits,
  type FilterPresence,
  type FilterStore,
  type GreylistState,
  type MaybePromise,
  type ListQuery,
  type PolicySnapshot,
  type StringCollection,
  type TripletKey,
} from '../greylist-store.js';
import { connectPostgres, describeDatabaseUrl, type PgSql } from './pg-connection.js';
import { commitDecisions, expireRows } from './pg-decision-writer.js';
import * as entries from './pg-list-entries.js';
import { migratePostgres } from './pg-migrations.js';
import { changeStoredSettings, readPolicySnapshot, readStoredSettings } from './pg-policy.js';
import { PgKnownKeys } from './pg-known-keys.js';
import { PgStringTable } from './pg-strings.js';

export interface PgStoreOptions {
  /** Who decides, as recorded with every attempt: the filter's name, its host name unless told otherwise. */
  filterName?: string;
  /**
   * How long a lookup may take before the request is answered per failMode: the filter's way
   * (Postfix is waiting). Without it, a lookup waits for its answer (the screens, the commands).
   */
  lookupTimeoutMs?: number;
  /** Connections in the pool. */
  connections?: number;
  /** Answer first contacts from memory (see PgKnownKeys): the filter's way. */
  lookupsFromMemory?: boolean;
  /** Hears when first contacts start to be answered from memory, and of a failed reading of the keys. */
  log?: { info(message: string): void; warn(message: string): void };
}

/** Errors that say the server is gone or unreachable, as opposed to a bad statement. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    error instanceof StoreUnavailableError ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code) ||
    // admin_shutdown, crash_shutdown, cannot_connect_now: the server is stopping or starting.
    ['57P01', '57P02', '57P03'].includes(code)
  );
}

class LookupTimeout extends Error {}

/** Lookups in a row slower than the timeout after which the server is treated as gone (checked with backoff). */
const SLOW_LOOKUPS_BEFORE_LOST = 5;

/** Backoff between checks while the server cannot be reached. */
const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5000;

/**
 * The shared store: one PostgreSQL database several filters (one per MX host) decide from
 * together, and that the command line and the app administer from anywhere. While the server
 * cannot be reached, lookups fail at once (StoreUnavailableError) rather than each waiting on a
 * dead connection, and a check reconnects with backoff.
 */
export class PgStore implements FilterStore, AdminStore {
  private readonly strings = new PgStringTable();
  private readonly filterName: string;
  private readonly lookupTimeoutMs: number | undefined;
  /** Why the server cannot be reached, while it cannot. */
  private down: string | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;
  private unlisten: (() => Promise<void>) | undefined;
  /** Lookups in a row that took longer than the timeout. */
  private slowLookups = 0;

  private constructor(
    readonly sql: PgSql,
    readonly url: string,
    options: PgStoreOptions,
    private readonly known: PgKnownKeys | undefined,
  ) {
    this.filterName = options.filterName ?? 'greyward';
    this.lookupTimeoutMs = options.lookupTimeoutMs;
  }

  /** Connects and brings the schema up to date; a clear error when the server cannot be reached or the schema is newer. */
  static async open(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const sql = connectPostgres(url, { max: options.connections ?? 4 });
    try {
      await migratePostgres(sql);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      if (isConnectionError(error)) throw new Error(`cannot reach ${describeDatabaseUrl(url)}: ${(error as Error).message}`);
      throw error;
    }
    let known: PgKnownKeys | undefined;
    if (options.lookupsFromMemory) {
      const [{ n }] = await sql<[{ n: number }]>`SELECT count(*) AS n FROM triplets`;
      known = new PgKnownKeys(sql, Math.max(1_000_000, 2 * n));
      known.start(
        250,
        (error) => options.log?.warn(`could not read the stored keys (first contacts are read from the database meanwhile): ${error.message}`),
        (keys, seconds) => options.log?.info(`first contacts are answered from memory: ${keys} stored triplet keys read in ${seconds.toFixed(1)} s`),
      );
    }
    return new PgStore(sql, url, options, known);
  }

  /** Where this store lives, password left out. */
  get description(): string {
    return describeDatabaseUrl(this.url);
  }

  private unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(`the database ${this.description} cannot be reached (${this.down})`);
  }

  /** Marks the server as unreachable and checks again with backoff until it answers. */
  private lost(error: unknown): void {
    if (this.down !== undefined || this.closed) return;
    this.down = (error as Error).message || String(error);
    this.retryMs = FIRST_RETRY_MS;
    this.scheduleCheck();
  }

  private scheduleCheck(): void {
    this.retry = setTimeout(() => {
      this.retry = undefined;
      const check = this.sql`SELECT 1`.then(() => true, () => false);
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref());
      void Promise.race([check, timeout]).then((ok) => {
        if (this.closed) return;
        if (ok) {
          this.down = undefined;
          return;
        }
        this.retryMs = Math.min(LAST_RETRY_MS, this.retryMs * 2);
        this.scheduleCheck();
      });
    }, this.retryMs).unref();
  }

  /** Runs a statement, noting a lost server; rejects at once while it is known to be lost. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    if (this.down !== undefined) throw this.unavailable();
    try {
      return await work();
    } catch (error) {
      if (isConnectionError(error)) {
        this.lost(error);
        throw this.unavailable();
      }
      throw error;
    }
  }

  readPolicy(): Promise<PolicySnapshot> {
    return this.guarded(() => readPolicySnapshot(this.sql));
  }

  policyVersion(): Promise<number> {
    return this.guarded(async () => (await this.sql<[{ value: number }]>`SELECT value FROM meta WHERE key = 'policy_version'`)[0].value);
  }

  /**
   * One round trip, pipelined with the other requests' lookups. A lookup slower than the timeout
   * answers per failMode: Postfix is waiting, and a server that slow is treated as gone.
   */
  findGreylistState(key: TripletKey, client: string): MaybePromise<GreylistState> {
    if (this.down !== undefined) return Promise.reject(this.unavailable());
    const remembered = this.known?.find(key, client);
    if (remembered) return remembered;
    const query = this.sql`
      SELECT t.id, t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes, c.passes, c.last_counted_at, c.last_seen
      FROM (SELECT 1) k
      LEFT JOIN triplets t ON t.sender = (SELECT id FROM strings WHERE text = ${key.sender})
        AND t.recipient = (SELECT id FROM strings WHERE text = ${key.recipient})
        AND t.client_group = (SELECT id FROM strings WHERE text = ${key.clientGroup})
      LEFT JOIN client_passes c ON c.client = ${client}`.values();
    let timer: NodeJS.Timeout | undefined;
    const limit = this.lookupTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      if (limit !== undefined) timer = setTimeout(() => reject(new LookupTimeout(`the database ${this.description} did not answer a lookup within ${limit} ms`)), limit);
    });
    return Promise.race([query, timeout])
      .then(
        ([row]) => {
          this.slowLookups = 0;
          const r = row as Array<number | null>;
          const triplet = r[0] === null ? undefined : { firstSeen: r[1]!, lastSeen: r[2]!, attempts: r[3]!, earlyAttempts: r[4]!, passedAt: r[5] ?? null, passes: r[6]! };
          const clientPasses = r[7] === null ? undefined : { client, passes: r[7]!, lastCountedAt: r[8]!, lastSeen: r[9]! };
          const found = triplet ? { triplet, tripletId: r[0]!, clientPasses } : { triplet, clientPasses };
          this.known?.read(key, client, found);
          return found;
        },
        (error: unknown) => {
          if (error instanceof LookupTimeout) {
            // One slow answer (a busy server) costs this request only; a run of them is a server gone silent.
            if (++this.slowLookups >= SLOW_LOOKUPS_BEFORE_LOST) this.lost(error);
            throw new StoreUnavailableError(error.message);
          }
          if (isConnectionError(error)) {
            this.lost(error);
            throw this.unavailable();
          }
          throw error;
        },
      )
      .finally(() => clearTimeout(timer));
  }

  /** Takes in what other filters stored until now (see PgKnownKeys); at once without lookups from memory. */
  async caughtUp(): Promise<void> {
    await this.known?.caughtUp();
  }

  async commit(writes: readonly DecisionWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.guarded(() => commitDecisions(this.sql, this.strings, this.filterName, writes));
    for (const write of writes) this.known?.wrote(write);
  }

  expire(limits: ExpiryLimits): Promise<number> {
    return this.guarded(() => expireRows(this.sql, limits));
  }

  /**
   * Texts are kept: every filter on the database caches ids, and deleting one another filter is
   * about to name would break its rows. A collection that all filters agree on is future work.
   */
  async collectStrings(): Promise<StringCollection> {
    return { deleted: 0, more: false };
  }

  /** Records the heartbeat with this host's clock against the database's, and answers the difference. */
  async announce(presence: FilterPresence, running: boolean): Promise<{ clockOffset?: number }> {
    return this.guarded(async () => {
      if (!running) {
        await this.sql`DELETE FROM filter_presence WHERE host = ${presence.host} AND pid = ${presence.pid}`;
        return {};
      }
      const [row] = await this.sql<[{ clock_offset: number }]>`
        INSERT INTO filter_presence (host, pid, endpoints, version, started_at, seen_at, clock_offset)
        VALUES (${presence.host}, ${presence.pid}, ${JSON.stringify(presence.endpoints)}, ${presence.version}, ${presence.startedAt}, ${presence.seenAt},
          ${presence.seenAt} - extract(epoch FROM clock_timestamp()))
        ON CONFLICT (host, pid) DO UPDATE SET endpoints = excluded.endpoints, seen_at = excluded.seen_at, clock_offset = excluded.clock_offset
        RETURNING clock_offset`;
      return { clockOffset: row.clock_offset };
    });
  }

  /** A change to lists or settings made by any host reaches this one as a notification. */
  watchPolicy(changed: () => void): void {
    void this.sql
      .listen(
        'greyward_policy',
        () => {
          this.known?.refresh();
          changed();
        },
        changed,
      )
      .then((listening) => {
        if (this.closed) void listening.unlisten();
        else this.unlisten = () => listening.unlisten();
      })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.known?.stop();
    await this.unlisten?.().catch(() => undefined);
    await this.sql.end({ timeout: 2 });
  }

  listEntries(query?: ListQuery): Promise<ListEntry[]> {
    return entries.listEntries(this.sql, query);
  }

  addEntries(list: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }> {
    return entries.addEntries(this.sql, list, now);
  }

  importEntries(list: Iterable<NewListEntry>, now: number): Promise<{ added: number; duplicates: number }> {
    return entries.importEntries(this.sql, list, now);
  }

  capacityProblem(count: number, patterns: number): Promise<string | undefined> {
    return entries.capacityProblem(this.sql, count, patterns);
  }

  editEntry(id: number, change: ListEntryChange, now: number): Promise<ListEntry> {
    return entries.editEntry(this.sql, id, change, now);
  }

  removeEntries(ids: readonly number[]): Promise<number> {
    return entries.removeEntries(this.sql, ids);
  }

  storedSettings(): Promise<Partial<Record<SettingKey, unknown>>> {
    return readStoredSettings(this.sql);
  }

  changeSettings(changes: Partial<Record<string, unknown>>, resets: readonly SettingKey[], now: number): Promise<SettingsChangePlan> {
    return changeStoredSettings(this.sql, changes, resets, now);
  }

  async setSetting<K extends SettingKey>(key: K, value: Settings[K], now: number): Promise<void> {
    await this.changeSettings({ [key]: value }, [], now);
  }
}
