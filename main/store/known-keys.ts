import type { Statement } from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../workers/worker-client.js';
import { BloomFilter } from './bloom-filter.js';
import type { SqliteDatabase } from './database.js';
import { tripletKeyText, type TripletKey } from './greylist-store.js';

/** Rows read per slice: a slice runs on the thread that answers Postfix, so it stays about a millisecond long. */
const SLICE_ROWS = 500;
const MIN_CAPACITY = 1_000_000;
/** Rows per read on the worker thread, which nothing waits for. */
const WORKER_CHUNK_ROWS = 5_000;

const TRIPLET_ROWS = 'SELECT id, client_group, sender, recipient FROM triplet_view WHERE id > ? ORDER BY id LIMIT ?';
const CLIENT_ROWS = 'SELECT rowid, client FROM client_passes WHERE rowid > ? ORDER BY rowid LIMIT ?';

/** Adds every stored triplet and client to the filters, reading in large chunks (for a thread that answers nobody). */
export function fillKnownKeys(db: SqliteDatabase, triplets: BloomFilter, clients: BloomFilter): void {
  const tripletRows = db.prepare(TRIPLET_ROWS).raw();
  for (let after = 0; ; ) {
    const rows = tripletRows.all(after, WORKER_CHUNK_ROWS) as Array<[number, string, string, string]>;
    for (const [, clientGroup, sender, recipient] of rows) triplets.add(tripletKeyText({ clientGroup, sender, recipient }));
    if (rows.length < WORKER_CHUNK_ROWS) break;
    after = rows.at(-1)![0];
  }
  const clientRows = db.prepare(CLIENT_ROWS).raw();
  for (let after = 0; ; ) {
    const rows = clientRows.all(after, WORKER_CHUNK_ROWS) as Array<[number, string]>;
    for (const [, client] of rows) clients.add(client);
    if (rows.length < WORKER_CHUNK_ROWS) break;
    after = rows.at(-1)![0];
  }
}

type WorkerReply =
  | { ok: true; triplets: { bits: Uint32Array; added: number }; clients: { bits: Uint32Array; added: number } }
  | { ok: false; message: string };

/**
 * Which triplets and clients (as auto-allow counts them) the database may hold, so that a first contact (most of what
 * a mail server sees is spam that never retries) is answered without a read. Built by scanning
 * both tables by rowid — on a worker thread for a database file, in slices on this thread for
 * one in memory or when the worker fails — and then fed with this filter's own decisions: it
 * holds only while this filter is the only one writing the database. Until the scan has reached
 * the end of both tables it knows nothing, and every lookup reads.
 */
export class KnownKeys {
  private triplets!: BloomFilter;
  private clients!: BloomFilter;
  private tripletsAfter = 0;
  private clientsAfter = 0;
  private scanned = false;
  /** Bumped by each restart: a worker's filters from before it are thrown away. */
  private generation = 0;
  /** Keys added while a worker reads: its filters do not hold them yet. */
  private addedDuringScan: { triplets: string[]; clients: string[] } | undefined;
  private onWorker: boolean;
  private readonly rowCounts: Statement<[]>;
  private readonly tripletRows: Statement<[number, number]>;
  private readonly clientRows: Statement<[number, number]>;

  /** `capacity`: keys each filter is sized for; by default twice the rows the tables hold. */
  constructor(private readonly db: SqliteDatabase, private readonly capacity?: number, options: { onWorker?: boolean } = {}) {
    this.onWorker = (options.onWorker ?? false) && !db.memory;
    this.rowCounts = db.prepare('SELECT (SELECT count(*) FROM triplets), (SELECT count(*) FROM client_passes)').raw();
    this.tripletRows = db.prepare(TRIPLET_ROWS).raw();
    this.clientRows = db.prepare(CLIENT_ROWS).raw();
    this.restart();
  }

  /** True once the scan has read both tables to the end. */
  get complete(): boolean {
    return this.scanned;
  }

  /** True while a worker thread reads the tables: scanSlice() has nothing to do meanwhile. */
  get readingElsewhere(): boolean {
    return !this.scanned && this.addedDuringScan !== undefined;
  }

  /** True only when neither the triplet nor its client can be in the database. */
  certainlyAbsent(key: TripletKey, client: string): boolean {
    return this.scanned && !this.clients.mightContain(client) && !this.triplets.mightContain(tripletKeyText(key));
  }

  /** Records keys about to be written, before they are: a triplet as tripletKeyText gives it. */
  add(triplet: string | undefined, client: string | undefined): void {
    if (triplet !== undefined) this.triplets.add(triplet);
    if (client !== undefined) this.clients.add(client);
    if (this.addedDuringScan) {
      if (triplet !== undefined) this.addedDuringScan.triplets.push(triplet);
      if (client !== undefined) this.addedDuringScan.clients.push(client);
    }
    // Expired keys stay in the filters and make them answer "perhaps" more and more often.
    if (this.triplets.added > this.triplets.capacity || this.clients.added > this.clients.capacity) this.restart();
  }

  /** Reads the next slice of both tables (unless a worker reads them); true when both are read to the end. */
  scanSlice(): boolean {
    if (this.scanned || this.addedDuringScan) return this.scanned;
    const triplets = this.tripletRows.all(this.tripletsAfter, SLICE_ROWS) as Array<[number, string, string, string]>;
    const clients = this.clientRows.all(this.clientsAfter, SLICE_ROWS) as Array<[number, string]>;
    for (const [id, clientGroup, sender, recipient] of triplets) {
      this.triplets.add(tripletKeyText({ clientGroup, sender, recipient }));
      this.tripletsAfter = id;
    }
    for (const [rowid, client] of clients) {
      this.clients.add(client);
      this.clientsAfter = rowid;
    }
    if (triplets.length < SLICE_ROWS && clients.length < SLICE_ROWS) this.scanned = true;
    return this.scanned;
  }

  /**
   * Starts again, empty, sized for what the tables hold now (counting them takes some tens of
   * milliseconds at a million rows; it happens at start and about once per million new keys).
   * Decisions in flight are committed long before a scan of the tables ends, so it finds them.
   */
  restart(): void {
    const [triplets, clients] = this.rowCounts.get() as [number, number];
    this.triplets = new BloomFilter(this.capacity ?? Math.max(MIN_CAPACITY, 2 * triplets));
    this.clients = new BloomFilter(this.capacity ?? Math.max(MIN_CAPACITY, 2 * clients));
    this.tripletsAfter = 0;
    this.clientsAfter = 0;
    this.scanned = false;
    this.generation++;
    this.addedDuringScan = undefined;
    if (this.onWorker) this.scanOnWorker();
  }

  private scanOnWorker(): void {
    const generation = this.generation;
    const capacities = { tripletCapacity: this.triplets.capacity, clientCapacity: this.clients.capacity };
    this.addedDuringScan = { triplets: [], clients: [] };
    let worker: Worker;
    try {
      worker = new Worker(workerUrl(import.meta.url, 'main/store/known-keys-worker.js'), {
        workerData: { path: this.db.name, ...capacities },
        resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
      });
    } catch {
      this.readHere();
      return;
    }
    worker.unref();
    let settled = false;
    const settle = (reply: WorkerReply | undefined) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (generation !== this.generation) return;
      if (!reply?.ok) return this.readHere();
      const added = this.addedDuringScan!;
      this.addedDuringScan = undefined;
      this.triplets = new BloomFilter(capacities.tripletCapacity, undefined, reply.triplets.bits);
      this.clients = new BloomFilter(capacities.clientCapacity, undefined, reply.clients.bits);
      this.triplets.added = reply.triplets.added;
      this.clients.added = reply.clients.added;
      for (const key of added.triplets) this.triplets.add(key);
      for (const key of added.clients) this.clients.add(key);
      this.scanned = true;
    };
    worker.once('message', settle);
    worker.once('error', () => settle(undefined));
    worker.once('exit', () => settle(undefined));
  }

  /** The worker could not read: this thread reads in slices from now on. */
  private readHere(): void {
    this.onWorker = false;
    this.addedDuringScan = undefined;
  }
}
