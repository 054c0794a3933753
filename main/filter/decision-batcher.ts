import { tripletKeyText, type ClientPasses, type DecisionWrite, type FilterStore, type TripletState } from '../store/greylist-store.js';
import { decisionLogLine, type Log } from './log.js';

interface Batch {
  /** Emptied once handed to the store: from then on only its keys are kept, not the decisions. */
  writes: DecisionWrite[];
  size: number;
  tripletKeys: string[];
  clients: string[];
  committed: Promise<void>;
  release(): void;
}

export interface BatcherOptions {
  store: FilterStore;
  log: Log;
  /** Called after every commit with the error, or undefined when it succeeded. */
  onCommit(error: Error | undefined, count: number): void;
  windowMs?: number;
  /**
   * A batch this large is committed at once, even while another commit is on its way. Handing a
   * batch over costs the answering thread about 5 µs per decision under load, so the default, 250,
   * holds answers back about a millisecond at most.
   */
  maxBatch?: number;
}


/**
 * Collects decisions and commits them in one transaction per few milliseconds, off the request
 * path. While a commit is on its way the next batch keeps growing: under load the writer commits
 * fewer, larger transactions, and every page a transaction touches is written once however many
 * decisions changed it. Until a decision is committed, its state is served from here, so the next
 * request for the same triplet sees it.
 */
export class DecisionBatcher {
  private open: Batch | undefined;
  /** The open batch's window has passed, and it goes as soon as the commit before it returns. */
  private due = false;
  private readonly inFlight = new Set<Batch>();
  private readonly unsavedTriplets = new Map<string, { state: TripletState; batch: Batch }>();
  private readonly unsavedClients = new Map<string, { state: ClientPasses; batch: Batch }>();
  /** Decisions handed to the store and not yet committed. */
  backlog = 0;

  constructor(private readonly options: BatcherOptions) {}

  triplet(id: string): TripletState | undefined {
    return this.unsavedTriplets.get(id)?.state;
  }

  clientPasses(client: string): ClientPasses | undefined {
    return this.unsavedClients.get(client)?.state;
  }

  /** Decisions not yet committed: handed to the store, or in the batch still open. */
  get uncommitted(): number {
    return this.backlog + (this.open?.writes.length ?? 0);
  }

  /** Settles when a commit on its way returns (at once when none is). */
  async nextCommit(): Promise<void> {
    if (this.open && this.inFlight.size === 0) this.flush(this.open);
    if (this.inFlight.size > 0) await Promise.race([...this.inFlight].map((batch) => batch.committed));
  }

  /** Queues a decision; the promise settles once its batch is committed or has failed. */
  add(write: DecisionWrite): Promise<void> {
    const batch = this.open ?? this.startBatch();
    batch.writes.push(write);
    if (write.triplet) {
      const key = tripletKeyText(write.triplet.key);
      this.unsavedTriplets.set(key, { state: write.triplet.state, batch });
      batch.tripletKeys.push(key);
    }
    if (write.clientPasses) {
      this.unsavedClients.set(write.clientPasses.client, { state: write.clientPasses, batch });
      batch.clients.push(write.clientPasses.client);
    }
    if (batch.writes.length >= (this.options.maxBatch ?? 250)) this.flush(batch);
    return batch.committed;
  }

  /** Commits what is queued now and waits for every commit in flight. */
  async drain(): Promise<void> {
    if (this.open) this.flush(this.open);
    await Promise.all([...this.inFlight].map((batch) => batch.committed));
  }

  private startBatch(): Batch {
    let release!: () => void;
    const committed = new Promise<void>((resolve) => (release = resolve));
    const batch: Batch = { writes: [], size: 0, tripletKeys: [], clients: [], committed, release };
    this.open = batch;
    // Answers do not wait for the commit, so a wider window costs no latency: it only widens what a crash can lose.
    setTimeout(() => {
      if (this.inFlight.size === 0) this.flush(batch);
      else if (this.open === batch) this.due = true;
    }, this.options.windowMs ?? 2);
    return batch;
  }

  private flush(batch: Batch): void {
    if (this.open !== batch) return;
    this.open = undefined;
    this.due = false;
    this.inFlight.add(batch);
    batch.size = batch.writes.length;
    this.backlog += batch.size;
    // Formatted only now: a line kept from the decision on would live, and be copied by the garbage collector, until the commit.
    this.options.log.decisions(batch.writes.map((write) => decisionLogLine(write.attempt)));
    let committing: Promise<void>;
    try {
      committing = this.options.store.commit(batch.writes);
    } catch (error) {
      // A store that throws instead of rejecting must not strand the batch: it settles as a failed commit.
      committing = Promise.reject(error as Error);
    }
    // The store has taken them: the decisions can die young, rather than be copied and promoted while the commit runs.
    batch.writes = [];
    committing
      .then(
        () => this.options.onCommit(undefined, batch.size),
        (error: Error) => this.options.onCommit(error, batch.size),
      )
      .finally(() => {
        // Committed or lost, the database now holds the truth for these keys unless a later batch changed them again.
        for (const key of batch.tripletKeys) if (this.unsavedTriplets.get(key)?.batch === batch) this.unsavedTriplets.delete(key);
        for (const client of batch.clients) if (this.unsavedClients.get(client)?.batch === batch) this.unsavedClients.delete(client);
        this.inFlight.delete(batch);
        this.backlog -= batch.size;
        batch.release();
        if (this.due && this.inFlight.size === 0 && this.open) this.flush(this.open);
      });
  }
}
