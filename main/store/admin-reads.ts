import type { Attempt, ChartRange, MailPassed, Overview, Triplet } from '../../shared/contract.js';
import type { Settings } from '../../shared/settings.js';
import type { MaybePromise } from './greylist-store.js';

export type TripletSort = 'lastSeen' | 'firstSeen' | 'attempts' | 'sender' | 'recipient' | 'clientGroup';

/** The column each sort of the Greylist screen orders by, in both stores' triplet_view. */
export const SORT_COLUMNS: Record<TripletSort, string> = {
  lastSeen: 'last_seen',
  firstSeen: 'first_seen',
  attempts: 'attempts',
  sender: 'sender',
  recipient: 'recipient',
  clientGroup: 'client_group',
};

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

const mailKey = (sender: string, recipient: string) => `${sender.toLowerCase()}\n${recipient.toLowerCase()}`;

/**
 * How the mail of each deferral got through since: its triplet passed (on a retry when a
 * 'passed' decision marks the moment, else by "Pass now"), or a later attempt of the same sender
 * and recipient was allowed (an allow entry added meanwhile). `allowed`: allowed attempts after
 * the first deferral, in id order.
 */
export function deferralOutcomes(
  deferrals: readonly Attempt[],
  tripletPasses: ReadonlyMap<number, { at: number; byRetry: boolean }>,
  allowed: Iterable<{ id: number; at: number; sender: string; recipient: string }>,
): MailPassed[] {
  const wanted = new Set(deferrals.map((d) => mailKey(d.sender, d.recipient)));
  const allowedMail = new Map<string, Array<{ id: number; at: number }>>();
  for (const row of allowed) {
    const key = mailKey(row.sender, row.recipient);
    if (!wanted.has(key)) continue;
    const list = allowedMail.get(key) ?? [];
    if (list.length < 100) list.push({ id: row.id, at: row.at });
    allowedMail.set(key, list);
  }
  const passed: MailPassed[] = [];
  for (const deferral of deferrals) {
    const triplet = deferral.tripletId === null ? undefined : tripletPasses.get(deferral.tripletId);
    if (triplet && triplet.at >= deferral.at) {
      passed.push({ deferralId: deferral.id, at: triplet.at, by: triplet.byRetry ? 'retry' : 'administrator' });
      continue;
    }
    const allow = allowedMail.get(mailKey(deferral.sender, deferral.recipient))?.find((a) => a.id > deferral.id);
    if (allow) passed.push({ deferralId: deferral.id, at: allow.at, by: 'allow-list' });
  }
  return passed;
}
