import type { Attempt, ChartRange, MailPassed, Overview, Triplet } from '../../shared/contract.js';
import type { Settings } from '../../shared/settings.js';
import type { MaybePromise } from './greylist-store.js';

export type TripletSort = 'lastSeen' | 'firstSeen' | 'attempts' | 'sender' | 'recipient' | 'clientGroup';

export interface TripletPageQuery {
  search?: string | undefined;
  state?: Triplet['state'] | undefined;
  sort: TripletSort;
  descending: boolean;
  offset: number;
  limit: number;
}

export type Timing = Pick<Settings, 'delay' | 'retryWindow' | 'maxAge'>;

/**
 * The reads and triplet edits of the administration screens, on a database file (AdminQueries,
 * answering at once) or on a shared PostgreSQL database (PgAdminQueries, answering later).
 */
export interface AdminReads {
  /** A summary of the lists that moves with an entry added, removed or given another expiry. */
  listsFingerprint(): MaybePromise<string>;
  lastAttemptId(): MaybePromise<number>;
  /** Attempts after `afterId` in id order (and, where ids are not committed in order, those that arrived late). */
  attemptsAfter(afterId: number, limit: number): MaybePromise<Attempt[]>;
  recentAttempts(limit: number, actions?: readonly string[]): MaybePromise<Attempt[]>;
  deferralsWithOutcomes(limit: number): MaybePromise<{ deferrals: Attempt[]; passed: MailPassed[] }>;
  searchAttempts(query: string, limit: number): MaybePromise<Attempt[]>;
  attemptsOfTriplet(tripletId: number): MaybePromise<Attempt[]>;
  triplet(id: number, now: number, timing: Timing): MaybePromise<Triplet | null>;
  tripletPage(query: TripletPageQuery, now: number, timing: Timing): MaybePromise<{ rows: Triplet[]; total: number; capped: boolean }>;
  passTripletsNow(ids: readonly number[], now: number): MaybePromise<number>;
  deleteTriplets(ids: readonly number[]): MaybePromise<number>;
  overview(now: number, startOfDay: number, range?: ChartRange): MaybePromise<Omit<Overview, 'filter' | 'filters'>>;
}

/** The state of a triplet at `now`, and the seconds until a waiting one passes. */
export function tripletWithState(row: Omit<Triplet, 'state' | 'secondsLeft'>, now: number, timing: Timing): Triplet {
  const state: Triplet['state'] =
    row.passedAt !== null && row.lastSeen >= now - timing.maxAge ? 'passed' : row.passedAt === null && row.firstSeen >= now - timing.retryWindow ? 'waiting' : 'expired';
  return { ...row, state, secondsLeft: state === 'waiting' ? Math.max(0, row.firstSeen + timing.delay - now) : null };
}
