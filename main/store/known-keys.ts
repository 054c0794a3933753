import type { Statement } from 'better-sqlite3';
import { BloomFilter } from './bloom-filter.js';
import type { SqliteDatabase } from './database.js';
import { tripletKeyText, type TripletKey } from './greylist-store.js';

/** Rows read per slice: a slice runs on the thread that answers Postfix, so it stays about a millisecond long. */
const SLICE_ROWS = 500;
const MIN_CAPACITY = 1_000_000;

/**
 * Which triplets and client networks the database may hold, so that a first contact (most of what
 * a mail server sees is spam that never retries) is answered without a read. Built by scanning
 * both tables by rowid, then kept up to date with this filter's own decisions and by scanning on
 * from where it stopped, which picks up rows another filter sharing the database has added.
 * Until a scan has reached the end of both tables, it knows nothing and every lookup reads.
 */
export class KnownKeys {
  private triplets: BloomFilter;
  private clients: BloomFilter;
  private tripletsAfter = 0;
  private clientsAfter = 0;
  private complete = false;
  private readonly highestIds: Statement<[]>;
  private readonly tripletRows: Statement<[number, number]>;
  private readonly clientRows: Statement<[number, number]>;

  /** `capacity`: keys each filter is sized for; by default twice what the tables may hold now. */
  constructor(db: SqliteDatabase, private capacity?: number) {
    this.highestIds = db.prepare('SELECT (SELECT coalesce(max(id), 0) FROM triplets), (SELECT coalesce(max(rowid), 0) FROM client_passes)').raw();
    this.triplets = new BloomFilter(this.size());
    this.clients = new BloomFilter(this.size());
    this.tripletRows = db.prepare('SELECT id, client_group, sender, recipient FROM triplets WHERE id > ? ORDER BY id LIMIT ?').raw();
    this.clientRows = db.prepare('SELECT rowid, client_group FROM client_passes WHERE rowid > ? ORDER BY rowid LIMIT ?').raw();
  }

  /** Rows are never renumbered, so the highest ids bound how many rows the tables hold. */
  private size(): number {
    if (this.capacity !== undefined) return this.capacity;
    const [triplets, clients] = this.highestIds.get() as [number, number];
    return Math.max(MIN_CAPACITY, 2 * Math.max(triplets, clients));
  }

  /** True only when neither the triplet nor its client network can be in the database. */
  certainlyAbsent(key: TripletKey): boolean {
    return this.complete && !this.clients.mightContain(key.clientGroup) && !this.triplets.mightContain(tripletKeyText(key));
  }

  /** Records keys about to be written, before they are. */
  add(triplet: TripletKey | undefined, clientGroup: string | undefined): void {
    if (triplet) this.triplets.add(tripletKeyText(triplet));
    if (clientGroup !== undefined) this.clients.add(clientGroup);
    if (this.triplets.added > this.triplets.capacity || this.clients.added > this.clients.capacity) this.rebuild();
  }

  /** Reads one slice of rows added since the last scan; true when both tables are read to the end. */
  scanSlice(): boolean {
    const triplets = this.tripletRows.all(this.tripletsAfter, SLICE_ROWS) as Array<[number, string, string, string]>;
    const clients = this.clientRows.all(this.clientsAfter, SLICE_ROWS) as Array<[number, string]>;
    for (const [id, clientGroup, sender, recipient] of triplets) {
      this.triplets.add(tripletKeyText({ clientGroup, sender, recipient }));
      this.tripletsAfter = id;
    }
    for (const [rowid, clientGroup] of clients) {
      this.clients.add(clientGroup);
      this.clientsAfter = rowid;
    }
    const done = triplets.length < SLICE_ROWS && clients.length < SLICE_ROWS;
    if (done) this.complete = true;
    return done;
  }

  /**
   * Expired keys stay in the filters and make them answer "perhaps" more and more often; once they
   * hold more keys than they were sized for, start again from an empty scan. Decisions in flight
   * are committed long before a scan of that many rows ends, so the scan finds them.
   */
  private rebuild(): void {
    this.triplets = new BloomFilter(this.size());
    this.clients = new BloomFilter(this.size());
    this.tripletsAfter = 0;
    this.clientsAfter = 0;
    this.complete = false;
  }
}
