import type { Attempt } from '../../shared/contract.js';

/** What the live view learns after each frame's flush. */
export interface FeedSnapshot {
  /** Rows the view shows (matching the filter). */
  visible: number;
  /** Deferred attempts kept in memory. */
  kept: number;
  /** Received while paused, not shown yet. */
  held: number;
  /** Deferrals per second over the last few seconds. */
  perSecond: number;
}

const RATE_WINDOW_SECONDS = 5;

export function attemptMatches(attempt: Attempt, query: string): boolean {
  return (
    attempt.clientAddress.includes(query) ||
    attempt.clientName.toLowerCase().includes(query) ||
    attempt.sender.toLowerCase().includes(query) ||
    attempt.recipient.toLowerCase().includes(query)
  );
}

/**
 * Deferred attempts as they stream in, outside React: pushes land in `incoming` at any rate,
 * and are moved into the shown rows at most once per animation frame. Memory is bounded:
 * the oldest rows go first, at `capacity` shown and `capacity` waiting (paused or hidden tab).
 */
export class LiveFeed {
  private rows: Attempt[] = []; // oldest first
  private matching: Attempt[] | undefined; // rows matching the query, when there is one
  private incoming: Attempt[] = [];
  private lastId = 0;
  private query = '';
  private paused = false;
  private frameRequested = false;
  private addedSinceRead = 0;
  private secondCounts = new Map<number, number>();

  constructor(
    private readonly onFlush: (snapshot: FeedSnapshot) => void,
    private readonly scheduleFrame: (callback: () => void) => void,
    readonly capacity = 10_000,
  ) {}

  /** A batch from the `attempts.added` event, oldest first; non-deferrals are ignored. */
  receive(batch: readonly Attempt[]): void {
    const second = Math.floor(Date.now() / 1000);
    let deferred = 0;
    for (const attempt of batch) {
      if (attempt.action !== 'defer' || attempt.id <= this.lastId) continue;
      this.lastId = attempt.id;
      this.incoming.push(attempt);
      deferred++;
    }
    if (deferred === 0) return;
    this.secondCounts.set(second, (this.secondCounts.get(second) ?? 0) + deferred);
    if (this.incoming.length > this.capacity * 1.5) this.incoming.splice(0, this.incoming.length - this.capacity);
    this.requestFlush();
  }

  /** Attempts fetched with attempts.recent: merged by id with what already streamed in. */
  seed(attempts: readonly Attempt[]): void {
    const known = new Set(this.rows.map((row) => row.id));
    for (const attempt of this.incoming) known.add(attempt.id);
    const older = attempts.filter((attempt) => attempt.action === 'defer' && !known.has(attempt.id));
    if (older.length === 0) return this.publish();
    this.rows = [...this.rows, ...older].sort((a, b) => a.id - b.id).slice(-this.capacity);
    this.lastId = Math.max(this.lastId, this.rows.at(-1)?.id ?? 0);
    this.matching = this.query ? this.rows.filter((row) => attemptMatches(row, this.query)) : undefined;
    this.publish();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.publish();
    else this.requestFlush();
  }

  setQuery(query: string): void {
    this.query = query.trim().toLowerCase();
    this.matching = this.query ? this.rows.filter((row) => attemptMatches(row, this.query)) : undefined;
    this.addedSinceRead = 0;
    this.publish();
  }

  /** Rows shown, newest first. */
  get length(): number {
    return Math.min(this.capacity, (this.matching ?? this.rows).length);
  }

  atFromNewest(index: number): Attempt | undefined {
    if (index < 0 || index >= this.capacity) return undefined;
    const rows = this.matching ?? this.rows;
    return rows[rows.length - 1 - index];
  }

  /** Rows added at the top since the last call: the view keeps a scrolled-down reader in place. */
  takeAddedCount(): number {
    const added = this.addedSinceRead;
    this.addedSinceRead = 0;
    return added;
  }

  /** Republishes the rate once a second even when nothing arrives, so it falls back to 0. */
  tick(): void {
    if (this.secondCounts.size > 0) this.publish();
  }

  private requestFlush(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.scheduleFrame(() => this.flush());
  }

  private flush(): void {
    this.frameRequested = false;
    if (this.paused) return this.publish();
    if (this.incoming.length === 0) return;
    const batch = this.incoming;
    this.incoming = [];
    this.rows.push(...batch.slice(-this.capacity));
    if (this.query) {
      const matched = batch.filter((row) => attemptMatches(row, this.query));
      this.matching!.push(...matched);
      this.addedSinceRead += matched.length;
    } else {
      this.addedSinceRead += batch.length;
    }
    trimFront(this.rows, this.capacity);
    if (this.matching) trimFront(this.matching, this.capacity);
    this.publish();
  }

  private perSecond(): number {
    const now = Math.floor(Date.now() / 1000);
    let total = 0;
    for (const [second, count] of this.secondCounts) {
      if (second <= now - RATE_WINDOW_SECONDS) this.secondCounts.delete(second);
      else total += count;
    }
    return Math.round(total / RATE_WINDOW_SECONDS);
  }

  private publish(): void {
    this.onFlush({ visible: this.length, kept: Math.min(this.capacity, this.rows.length), held: this.paused ? this.incoming.length : 0, perSecond: this.perSecond() });
  }
}

/**
 * Drops the oldest rows in chunks, so that trimming stays cheap at thousands of rows per second;
 * the slack beyond `capacity` is never shown (length and atFromNewest stop at capacity).
 */
function trimFront(rows: Attempt[], capacity: number): void {
  if (rows.length > capacity + capacity / 10) rows.splice(0, rows.length - capacity);
}
