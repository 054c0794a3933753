import type { Attempt, MailPassed } from '../../shared/contract.js';
import { MailPasses, type Passed } from './mail-passes.js';

export type { Passed } from './mail-passes.js';

/** What the live view learns after each frame's flush. */
export interface FeedSnapshot {
  /** Rows the view shows (matching the filter). */
  visible: number;
  /** Deferred attempts kept in memory. */
  kept: number;
  /** Of those, the ones whose mail has not got through since: what greylisting holds back now. */
  waiting: number;
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
  private passes = new MailPasses();

  constructor(
    private readonly onFlush: (snapshot: FeedSnapshot) => void,
    private readonly scheduleFrame: (callback: () => void) => void,
    readonly capacity = 10_000,
  ) {}

  /** A batch from the `attempts.added` event, oldest first: deferrals become rows, passes mark the rows they let through. */
  receive(batch: readonly Attempt[]): void {
    const second = Math.floor(Date.now() / 1000);
    let deferred = 0;
    let passed = false;
    for (const attempt of batch) {
      if (attempt.action === 'pass' || attempt.action === 'allow') {
        this.passes.addOfAttempt(attempt, attempt.action === 'allow' ? 'allow-list' : 'retry');
        passed = true;
      }
      if (attempt.action !== 'defer' || attempt.id <= this.lastId) continue;
      this.lastId = attempt.id;
      this.incoming.push(attempt);
      deferred++;
    }
    if (passed) this.requestPublish();
    if (deferred === 0) return;
    this.secondCounts.set(second, (this.secondCounts.get(second) ?? 0) + deferred);
    if (this.incoming.length > this.capacity * 1.5) this.incoming.splice(0, this.incoming.length - this.capacity);
    this.requestFlush();
  }

  /** Deferrals fetched at start (attempts.deferrals), with how their mail got through since: merged by id with what already streamed in. */
  seed(attempts: readonly Attempt[], passed: readonly MailPassed[] = []): void {
    const byId = new Map(attempts.map((attempt) => [attempt.id, attempt]));
    for (const pass of passed) {
      const deferral = byId.get(pass.deferralId);
      if (deferral) this.passes.add(this.passes.ownKey(deferral), { at: pass.at, by: pass.by });
    }
    const known = new Set(this.rows.map((row) => row.id));
    for (const attempt of this.incoming) known.add(attempt.id);
    const older = attempts.filter((attempt) => attempt.action === 'defer' && !known.has(attempt.id));
    if (older.length === 0) return this.publish();
    this.rows = [...this.rows, ...older].sort((a, b) => a.id - b.id).slice(-this.capacity);
    this.passes.retrack(this.rows);
    this.lastId = Math.max(this.lastId, this.rows.at(-1)?.id ?? 0);
    this.matching = this.query ? this.rows.filter((row) => attemptMatches(row, this.query)) : undefined;
    this.publish();
  }

  /** Triplets passed from this window ("Pass now"): their rows show it at once. */
  markPassed(tripletIds: readonly number[], at: number): void {
    for (const id of tripletIds) this.passes.add(`t:${id}`, { at, by: 'you' });
    this.publish();
  }

  /** How the mail of a deferral got through since, if it did. */
  passedOf(attempt: Attempt): Passed | undefined {
    return this.passes.passedOf(attempt);
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

  private publishRequested = false;

  /** A pass changes rows already shown: republished at the next frame, even while paused. */
  private requestPublish(): void {
    if (this.publishRequested) return;
    this.publishRequested = true;
    this.scheduleFrame(() => {
      this.publishRequested = false;
      this.publish();
    });
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
    const shown = batch.slice(-this.capacity);
    this.rows.push(...shown);
    this.passes.track(shown);
    if (this.query) {
      const matched = batch.filter((row) => attemptMatches(row, this.query));
      this.matching!.push(...matched);
      this.addedSinceRead += matched.length;
    } else {
      this.addedSinceRead += batch.length;
    }
    if (trimFront(this.rows, this.capacity)) this.passes.retrack(this.rows);
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
    const kept = Math.min(this.capacity, this.rows.length);
    // The few oldest rows beyond the capacity, until they are trimmed, are tracked but not kept.
    let waiting = this.passes.waiting;
    for (let i = 0; i < this.rows.length - kept; i++) if (!this.passedOf(this.rows[i]!)) waiting--;
    this.onFlush({ visible: this.length, kept, waiting, held: this.paused ? this.incoming.length : 0, perSecond: this.perSecond() });
  }
}

/**
 * Drops the oldest rows in chunks, so that trimming stays cheap at thousands of rows per second;
 * the slack beyond `capacity` is never shown (length and atFromNewest stop at capacity).
 */
function trimFront(rows: Attempt[], capacity: number): boolean {
  if (rows.length <= capacity + capacity / 10) return false;
  rows.splice(0, rows.length - capacity);
  return true;
}
