import { BloomFilter } from '../bloom-filter.js';
import { tripletKeyText, type DecisionWrite, type GreylistState, type TripletKey } from '../greylist-store.js';
import { RecentStates } from '../recent-states.js';
import { CatchUp } from './catch-up.js';
import type { PgSql } from './pg-connection.js';

type TripletChangeRow = [change: number, id: number, clientGroup: string, sender: string, recipient: string, firstSeen: number, lastSeen: number,
  attempts: number, earlyAttempts: number, passedAt: number | null, passes: number];

/** A key the database cannot hold (see the Bloom filters). */
const NOT_STORED = Symbol('not stored');

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
 * what a mail server sees is spam that never retries) is answered without a read, and the
 * states of those read or written lately, so that a retry is too. Read whole
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
  /** Triplets and clients read or written lately, kept as the change stream says other filters change them. */
  private readonly states = new RecentStates();
  private tripletEdits: number | undefined;
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

  /**
   * What a lookup finds, when memory can tell without a read: a triplet and client read or written
   * lately (kept as other filters change them), or, for keys the database cannot hold, nothing.
   */
  find(key: TripletKey, client: string): GreylistState | undefined {
    if (!this.warm) return undefined;
    const text = tripletKeyText(key);
    // Each half is known when it is kept here, or when the database cannot hold its key.
    const triplet = this.states.triplet(text) ?? (this.triplets.mightContain(text) ? undefined : NOT_STORED);
    if (!triplet) return undefined;
    const clientPasses = this.states.client(client) ?? (this.clients.mightContain(client) ? undefined : NOT_STORED);
    if (!clientPasses) return undefined;
    return {
      triplet: triplet === NOT_STORED ? undefined : triplet.state,
      ...(triplet !== NOT_STORED && triplet.id !== undefined ? { tripletId: triplet.id } : {}),
      clientPasses: clientPasses === NOT_STORED ? undefined : clientPasses,
    };
  }

  /** What a lookup read from the database. */
  read(key: TripletKey, client: string, found: GreylistState): void {
    this.states.read(key, client, found);
  }

  /** What this filter wrote: known at once, not only once followed. */
  wrote(write: DecisionWrite): void {
    const text = write.triplet && tripletKeyText(write.triplet.key);
    if (text !== undefined) this.triplets.add(text);
    if (write.clientPasses) this.clients.add(write.clientPasses.client);
    this.states.wrote(write, text);
  }

  private async catchUp(): Promise<void> {
    const now = Date.now() / 1000;
    // Triplets edited from the screens (pass now, delete) are read again, as after a restart.
    const [edits] = await this.sql<[{ value: number }]>`SELECT value FROM meta WHERE key = 'triplet_edits'`;
    if (edits && edits.value !== this.tripletEdits) {
      if (this.tripletEdits !== undefined) this.states.forget();
      this.tripletEdits = edits.value;
    }
    let tripletsSeen = 0;
    await this.sql`
      SELECT t.change, t.id, cg.text AS client_group, s.text AS sender, r.text AS recipient,
        t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes
      FROM triplets t JOIN strings cg ON cg.id = t.client_group JOIN strings s ON s.id = t.sender JOIN strings r ON r.id = t.recipient
      WHERE t.change > ${this.tripletChanges.from(now)}`
      .values()
      .cursor(ROWS_PER_READ, (rows) => {
        for (const [change, id, clientGroup, sender, recipient, firstSeen, lastSeen, attempts, earlyAttempts, passedAt, passes] of rows as unknown as TripletChangeRow[]) {
          const text = tripletKeyText({ clientGroup, sender, recipient });
          this.triplets.add(text);
          this.states.changedElsewhere(text, id, { firstSeen, lastSeen, attempts, earlyAttempts, passedAt, passes });
          tripletsSeen = Math.max(tripletsSeen, change);
        }
      });
    let clientsSeen = 0;
    await this.sql`SELECT change, client, passes, last_counted_at, last_seen FROM client_passes WHERE change > ${this.clientChanges.from(now)}`
      .values()
      .cursor(ROWS_PER_READ, (rows) => {
        for (const [change, client, passes, lastCountedAt, lastSeen] of rows as unknown as Array<[number, string, number, number, number]>) {
          this.clients.add(client);
          this.states.clientChangedElsewhere({ client, passes, lastCountedAt, lastSeen });
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
