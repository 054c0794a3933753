import type { ImpactReport, ReplayOutcome } from '../../shared/insight-contract.js';
import { REPLAY_KIND, type AttemptScan, type ReplayChunk } from '../store/insight-queries.js';

export interface ReplayTiming {
  delay: number;
  retryWindow: number;
}

/**
 * What the log cannot tell and the replay has to assume. Once a mail passed, its sender stopped
 * retrying, so under a longer delay its later retries are extrapolated at its last observed
 * interval (Postfix backs off further, so this is the optimistic side). A sender gives up after
 * five days (Postfix's maximal_queue_lifetime); a mail silent for less than two hours (Postfix's
 * maximal_backoff is 4000 s) may still come back and counts as pending.
 */
export const REPLAY_ASSUMPTIONS = {
  giveUpAfter: 5 * 86_400,
  pendingFor: 2 * 3600,
  minRetryInterval: 60,
} as const;

class Outcome {
  delayed = 0;
  lost = 0;
  neverRetried = 0;
  pending = 0;
  private delays = new Float64Array(1024);

  addDelay(seconds: number): void {
    if (this.delayed === this.delays.length) {
      const grown = new Float64Array(this.delays.length * 2);
      grown.set(this.delays);
      this.delays = grown;
    }
    this.delays[this.delayed++] = seconds;
  }

  report(timing: ReplayTiming): ReplayOutcome {
    const sorted = this.delays.subarray(0, this.delayed).sort();
    const rank = (p: number) => (this.delayed === 0 ? null : sorted[Math.max(0, Math.ceil(p * this.delayed) - 1)]!);
    return { settings: { ...timing }, delayed: this.delayed, addedDelayP50: rank(0.5), addedDelayP95: rank(0.95), lost: this.lost, neverRetried: this.neverRetried, pending: this.pending };
  }
}

/**
 * Replays the attempt log under two settings in one pass. Rows arrive in log order; each
 * triplet's open mail (a first contact and its retries until a pass) is a slot in typed arrays
 * indexed by triplet id, so the pass allocates nothing per row.
 */
export class ImpactReplay {
  private readonly mailStart: Float64Array;
  private readonly lastAt: Float64Array;
  private readonly previousAt: Float64Array;
  private readonly attempts: Int32Array;
  /** Per settings: when the triplet's current round started (a window that runs out starts over). */
  private readonly roundStart: [Float64Array, Float64Array];
  /** Bit s set: the mail has passed under settings s. */
  private readonly passed: Uint8Array;
  private readonly outcomes: [Outcome, Outcome] = [new Outcome(), new Outcome()];
  private readonly timings: [ReplayTiming, ReplayTiming];
  rows = 0;
  mails = 0;
  knownPasses = 0;

  constructor(maxTripletId: number, current: ReplayTiming, proposed: ReplayTiming) {
    const size = maxTripletId + 1;
    this.mailStart = new Float64Array(size).fill(Number.NaN);
    this.lastAt = new Float64Array(size);
    this.previousAt = new Float64Array(size);
    this.attempts = new Int32Array(size);
    this.roundStart = [new Float64Array(size), new Float64Array(size)];
    this.passed = new Uint8Array(size);
    this.timings = [current, proposed];
  }

  push(chunk: ReplayChunk): void {
    const { tripletIds, at: times, kinds } = chunk;
    for (let i = 0; i < chunk.length; i++) this.attempt(tripletIds[i]!, times[i]!, kinds[i]!);
    this.rows += chunk.length;
  }

  private attempt(id: number, at: number, kind: number): void {
    const open = !Number.isNaN(this.mailStart[id]!);
    if (!open) {
      if (kind === REPLAY_KIND.known) this.knownPasses++;
      // A retry whose first contact is outside the replayed range (or expired from the log) is skipped with its mail.
      else if (kind === REPLAY_KIND.firstContact) this.open(id, at);
      return;
    }
    if (kind === REPLAY_KIND.firstContact && at - this.mailStart[id]! > REPLAY_ASSUMPTIONS.giveUpAfter) {
      this.settle(id, Number.POSITIVE_INFINITY);
      this.open(id, at);
      return;
    }
    this.previousAt[id] = this.lastAt[id]!;
    this.lastAt[id] = at;
    this.attempts[id]!++;
    for (let s = 0; s < 2; s++) {
      if (this.passed[id]! & (1 << s)) continue;
      const { delay, retryWindow } = this.timings[s]!;
      const elapsed = at - this.roundStart[s]![id]!;
      if (elapsed > retryWindow) this.roundStart[s]![id] = at;
      else if (elapsed >= delay) {
        this.passed[id]! |= 1 << s;
        this.outcomes[s]!.addDelay(at - this.mailStart[id]!);
      }
    }
    // A pass in the log (or a triplet passed by hand) ends the mail: its sender stopped retrying.
    if (kind === REPLAY_KIND.passed || kind === REPLAY_KIND.known) this.closeAfterPass(id);
  }

  private open(id: number, at: number): void {
    this.mails++;
    this.mailStart[id] = at;
    this.lastAt[id] = at;
    this.previousAt[id] = at;
    this.attempts[id] = 1;
    this.roundStart[0][id] = at;
    this.roundStart[1][id] = at;
    this.passed[id] = 0;
  }

  private closeAfterPass(id: number): void {
    const last = this.lastAt[id]!;
    const interval = Math.max(REPLAY_ASSUMPTIONS.minRetryInterval, last - this.previousAt[id]!);
    for (let s = 0; s < 2; s++) {
      if (this.passed[id]! & (1 << s)) continue;
      const { delay, retryWindow } = this.timings[s]!;
      const start = this.roundStart[s]![id]!;
      const next = last + Math.max(1, Math.ceil((start + delay - last) / interval)) * interval;
      if (next - start <= retryWindow && next - this.mailStart[id]! <= REPLAY_ASSUMPTIONS.giveUpAfter) this.outcomes[s]!.addDelay(next - this.mailStart[id]!);
      else this.outcomes[s]!.lost++;
    }
    this.mailStart[id] = Number.NaN;
  }

  /** Counts a mail that never passed in the log, as of `now`. */
  private settle(id: number, now: number): void {
    const silent = now - this.lastAt[id]!;
    for (let s = 0; s < 2; s++) {
      if (this.passed[id]! & (1 << s)) continue;
      const outcome = this.outcomes[s]!;
      if (silent < REPLAY_ASSUMPTIONS.pendingFor) outcome.pending++;
      else if (this.attempts[id] === 1) outcome.neverRetried++;
      else outcome.lost++;
    }
    this.mailStart[id] = Number.NaN;
  }

  finish(now: number): Omit<ImpactReport, 'elapsedMs'> {
    for (let id = 0; id < this.mailStart.length; id++) if (!Number.isNaN(this.mailStart[id]!)) this.settle(id, now);
    return {
      attempts: this.rows,
      mails: this.mails,
      knownPasses: this.knownPasses,
      current: this.outcomes[0].report(this.timings[0]),
      proposed: this.outcomes[1].report(this.timings[1]),
    };
  }
}

export function replayImpact(scan: AttemptScan, current: ReplayTiming, proposed: ReplayTiming, now: number): ImpactReport {
  const started = performance.now();
  const replay = new ImpactReplay(scan.maxTripletId, current, proposed);
  for (const chunk of scan.chunks()) replay.push(chunk);
  return { ...replay.finish(now), elapsedMs: Math.round(performance.now() - started) };
}
