import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { tripletKeyText, type DecisionWrite, type GreylistState, type TripletKey } from './greylist-store.js';
import { KnownKeys } from './known-keys.js';
import { RecentStates } from './recent-states.js';

/** How often the app's triplet edits are looked for. */
const EDITS_POLL_MS = 100;
/** How often other filters serving the same database are looked for. */
const PRESENCE_POLL_MS = 1000;

export interface MemoryLookupOptions {
  /** This filter, as it announces itself in filter_presence. */
  self: { pid: number; host: string };
  /** The clock the filters' heartbeats are written with. */
  clock: () => number;
  /** How recent another filter's heartbeat must be for it to count as running. */
  freshSeconds: number;
}

/**
 * Answers from memory where the database need not be read: a first contact from KnownKeys, a retry
 * or regular correspondent from RecentStates. Both hold only while this filter is the only one
 * writing the database: when another filter serves it too, every lookup reads, and when that
 * filter has gone, the stored keys are read again. The app's triplet edits (pass now, delete) and
 * expiry make it forget the recent states; so does a commit that fails.
 */
export class MemoryLookups {
  private readonly known: KnownKeys;
  private readonly recent = new RecentStates();
  /** Triplets and clients with a commit on its way: a read of them may be older than memory. */
  private readonly inFlight = new Map<string, number>();
  private readonly editsStmt: Statement<[]>;
  private readonly othersStmt: Statement<[number, string, number]>;
  private alone: boolean;
  private edits: number;
  private presenceCheckedAt = Date.now();
  private stopWatching: (() => void) | undefined;

  constructor(db: SqliteDatabase, private readonly options: MemoryLookupOptions) {
    // This connection now reads single rows, and every commit of the writer thread empties its page
    // cache anyway; at better-sqlite3's 16 MB, counting and scanning the tables would fill it with
    // pages no lookup wants, and the process would keep that memory.
    db.pragma('cache_size = -2048');
    this.known = new KnownKeys(db, undefined, { onWorker: true });
    this.editsStmt = db.prepare("SELECT value FROM meta WHERE key = 'triplet_edits'").pluck();
    this.othersStmt = db.prepare('SELECT count(*) FROM filter_presence WHERE seen_at >= ? AND NOT (host = ? AND pid = ?)').pluck();
    this.edits = this.editsStmt.get() as number;
    this.alone = this.othersRunning() === 0;
    this.watch();
  }

  /** True once first contacts are answered without a read (the stored keys have all been read). */
  get warm(): boolean {
    return this.known.complete;
  }

  /** The state from memory, or undefined when the database must be read. */
  find(key: TripletKey, client: string): GreylistState | undefined {
    if (!this.alone) return undefined;
    const recent = this.recent.get(key, client);
    if (recent) return recent;
    return this.known.certainlyAbsent(key, client) ? { triplet: undefined, clientPasses: undefined } : undefined;
  }

  /** What a read found. */
  read(key: TripletKey, client: string, found: GreylistState): void {
    if (!this.alone) return;
    const text = tripletKeyText(key);
    const tripletSettled = !this.inFlight.has(text);
    const clientSettled = !this.inFlight.has(client);
    this.recent.read(
      key,
      client,
      {
        triplet: tripletSettled ? found.triplet : undefined,
        ...(tripletSettled && found.tripletId !== undefined ? { tripletId: found.tripletId } : {}),
        clientPasses: clientSettled ? found.clientPasses : undefined,
      },
      text,
    );
  }

  /** Decisions handed to the writer; returns their keys, to be given back to settled(). */
  committing(writes: readonly DecisionWrite[]): string[] {
    const keys: string[] = [];
    for (const write of writes) {
      const triplet = write.triplet && tripletKeyText(write.triplet.key);
      // A client key never holds the NUL a triplet key has: one map serves both.
      const client = write.clientPasses?.client;
      this.known.add(triplet, client);
      this.recent.wrote(write, triplet);
      if (triplet !== undefined) keys.push(triplet);
      if (client !== undefined) keys.push(client);
    }
    for (const key of keys) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    return keys;
  }

  /** Those decisions committed, or failed to be: `keys` as committing() returned them. */
  settled(keys: readonly string[], failed: boolean): void {
    for (const key of keys) {
      const count = this.inFlight.get(key)! - 1;
      if (count === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, count);
    }
    if (failed) this.recent.forget();
  }

  /** Rows were deleted behind memory's back. */
  expired(): void {
    this.recent.forget();
  }

  /** Forgets everything and reads the stored keys again, for rows written behind Greyward's back (SIGHUP). */
  reread(): void {
    this.recent.forget();
    this.known.restart();
  }

  stop(): void {
    this.stopWatching?.();
  }

  private othersRunning(): number {
    const { self, clock, freshSeconds } = this.options;
    return this.othersStmt.get(clock() - freshSeconds, self.host, self.pid) as number;
  }

  /** Follows the app's edits and other filters, and reads the stored keys in slices until it has them all. */
  private watch(): void {
    let failed = false;
    try {
      const edits = this.editsStmt.get() as number;
      if (edits !== this.edits) this.recent.forget();
      this.edits = edits;
      if (Date.now() - this.presenceCheckedAt >= PRESENCE_POLL_MS) {
        this.presenceCheckedAt = Date.now();
        const alone = this.othersRunning() === 0;
        if (!alone) this.recent.forget();
        // Another filter may have added rows with ids this scan had passed: read them all again.
        if (alone && !this.alone) this.known.restart();
        this.alone = alone;
      }
      if (!this.known.complete && !this.known.readingElsewhere) this.known.scanSlice();
    } catch {
      // A locked or damaged database: look again soon. Lookups read until the scan has ended.
      failed = true;
    }
    if (failed || this.known.complete || this.known.readingElsewhere) {
      const timer = setTimeout(() => this.watch(), EDITS_POLL_MS).unref();
      this.stopWatching = () => clearTimeout(timer);
    } else {
      const next = setImmediate(() => this.watch()).unref();
      this.stopWatching = () => clearImmediate(next);
    }
  }
}
