import { BloomFilter } from '../bloom-filter.js';
import { tripletKeyText, type TripletKey } from '../greylist-store.js';
import { CatchUp } from './catch-up.js';
import type { PgSql } from './pg-connection.js';

const MIN_CAPACITY = 1_000_000;
/**
 * Read four times a second, the last two seconds' changes read again each time: a batch commits
 * within milliseconds of taking its numbers. A triplet committed later than that is taken for a
 * first contact here until its row changes again: one more deferral, never a lost count.
 */
const LATE = { seconds: 2, rows: 1_000 };
const ROWS_PER_READ = 10_000;

/**
 * Which triplets and clients the shared database may hold, so that a first contact (most of
 * what a mail server sees is spam that never retries) is answered without a read. Read whole
 * at start, then followed by the change numbers every filter writes with its rows, a few times a
 * second. A triplet another filter stored a moment ago may not be known yet: its first attempt
 * here is then taken for a first contact, deferred as one would be anyway, and counted into the
 * stored row (see pg-triplet-batch.ts). Until the first reading is done, every lookup reads.
 */
export class PgKnownKeys {
  private triplets: BloomFilter;
  private clients: BloomFilter;
  private readonly tripletChanges = new CatchUp(LATE);
  private readonly clientChanges = new CatchUp(LATE);
  private warm = false;
  private timer: NodeJS.Timeout | undefined;
  private following: Promise<void> | undefined;
  private stopped = false;
  private reading = false;
  /** Bumped by refresh(). */
  private refreshes = 0;
  private tick: () => void = () => {};

  constructor(
    private readonly sql: PgSql,
    capacity = MIN_CAPACITY,
  ) {
    this.triplets = new BloomFilter(capacity);
    this.clients = new BloomFilter(capacity);
  }

  /**
   * Reads what is stored, then follows what changes every `followMs`. `onError` hears of a failed
   * reading (it is tried again), `onWarm` of the first one done, with the keys it read.
   */
  start(followMs = 250, onError: (error: Error) => void = () => {}, onWarm: (keys: number, seconds: number) => void = () => {}): void {
    const started = Date.now();
    let told = false;
    this.tick = () => {
      clearTimeout(this.timer);
      if (this.stopped || this.reading) return;
      this.reading = true;
      const asked = this.refreshes;
      this.following = this.catchUp()
        // A reading that began before the last refresh may have missed what it was for.
        .then(() => {
          this.warm = asked === this.refreshes;
          if (this.warm && !told) {
            told = true;
            onWarm(this.triplets.added, (Date.now() - started) / 1000);
          }
        }, onError)
        .finally(() => {
          this.reading = false;
          if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.warm ? followMs : 0).unref();
        });
    };
    this.tick();
  }

  /**
   * Rows may have come in bulk from outside the filters (greyward migrate, which moves the
   * policy version on): every lookup reads until the next reading has taken them in.
   */
  refresh(): void {
    this.refreshes++;
    this.warm = false;
    this.tick();
  }

  /** Reads what changed now, and resolves once it is taken in. */
  async caughtUp(): Promise<void> {
    this.refresh();
    while (!this.warm && !this.stopped) await this.following;
  }

  /** False when neither the triplet nor the client can be stored: the lookup's answer is known without a read. */
  mayHold(key: TripletKey, client: string): boolean {
    return !this.warm || this.triplets.mightContain(tripletKeyText(key)) || this.clients.mightContain(client);
  }

  /** What this filter wrote: known at once, not only once followed. */
  wrote(key: TripletKey | undefined, client: string | undefined): void {
    if (key) this.triplets.add(tripletKeyText(key));
    if (client !== undefined) this.clients.add(client);
  }

  private async catchUp(): Promise<void> {
    const now = Date.now() / 1000;
    let tripletsSeen = 0;
    await this.sql`
      SELECT t.change, cg.text AS client_group, s.text AS sender, r.text AS recipient
      FROM triplets t JOIN strings cg ON cg.id = t.client_group JOIN strings s ON s.id = t.sender JOIN strings r ON r.id = t.recipient
      WHERE t.change > ${this.tripletChanges.from(now)}`
      .values()
      .cursor(ROWS_PER_READ, (rows) => {
        for (const [change, clientGroup, sender, recipient] of rows as unknown as Array<[number, string, string, string]>) {
          this.triplets.add(tripletKeyText({ clientGroup, sender, recipient }));
          tripletsSeen = Math.max(tripletsSeen, change);
        }
      });
    let clientsSeen = 0;
    await this.sql`SELECT change, client FROM client_passes WHERE change > ${this.clientChanges.from(now)}`.values().cursor(ROWS_PER_READ, (rows) => {
      for (const [change, client] of rows as unknown as Array<[number, string]>) {
        this.clients.add(client);
        clientsSeen = Math.max(clientsSeen, change);
      }
    });
    this.tripletChanges.saw(now, tripletsSeen);
    this.clientChanges.saw(now, clientsSeen);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.following?.catch(() => undefined);
  }
}
