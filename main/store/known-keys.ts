import type { Statement } from 'better-sqlite3';
import { BloomFilter } from './bloom-filter.js';
import type { SqliteDatabase } from './database.js';
import { tripletKeyText, type TripletKey } from './greylist-store.js';

/** Rows read per slice: a slice runs on the thread that answers Postfix, so it stays about a millisecond long. */
const SLICE_ROWS = 500;
const MIN_CAPACITY = 1_000_000;

/**
 * Which triplets and clients (as auto-allow counts them) the database may hold, so that a first contact (most of what
 * a mail server sees is spam that never retries) is answered without a read. Built by scanning
 * both tables by rowid, in slices, and then fed with this filter's own decisions: it holds only
 * while this filter is the only one writing the database. Until the scan has reached the end of
 * both tables it knows nothing, and every lookup reads.
 */
export class KnownKeys {
  private triplets!: BloomFilter;
  private clients!: BloomFilter;
  private tripletsAfter = 0;
  private clientsAfter = 0;
  private scanned = false;
  private readonly rowCounts: Statement<[]>;
  private readonly tripletRows: Statement<[number, number]>;
  private readonly clientRows: Statement<[number, number]>;

  /** `capacity`: keys each filter is sized for; by default twice the rows the tables hold. */
  constructor(db: SqliteDatabase, private readonly capacity?: number) {
    this.rowCounts = db.prepare('SELECT (SELECT count(*) FROM triplets), (SELECT count(*) FROM client_passes)').raw();
    this.tripletRows = db.prepare('SELECT id, client_group, sender, recipient FROM triplet_view WHERE id > ? ORDER BY id LIMIT ?').raw();
    this.clientRows = db.prepare('SELECT rowid, client FROM client_passes WHERE rowid > ? ORDER BY rowid LIMIT ?').raw();
    this.restart();
  }

  /** True once the scan has read both tables to the end. */
  get complete(): boolean {
    return this.scanned;
  }

  /** True only when neither the triplet nor its client can be in the database. */
  certainlyAbsent(key: TripletKey, client: string): boolean {
    return this.scanned && !this.clients.mightContain(client) && !this.triplets.mightContain(tripletKeyText(key));
  }

  /** Records keys about to be written, before they are: a triplet as tripletKeyText gives it. */
  add(triplet: string | undefined, client: string | undefined): void {
    if (triplet !== undefined) this.triplets.add(triplet);
    if (client !== undefined) this.clients.add(client);
    // Expired keys stay in the filters and make them answer "perhaps" more and more often.
    if (this.triplets.added > this.triplets.capacity || this.clients.added > this.clients.capacity) this.restart();
  }

  /** Reads the next slice of both tables; true when both are read to the end. */
  scanSlice(): boolean {
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
  }
}
