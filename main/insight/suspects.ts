import type { Suspect } from '../../shared/insight-contract.js';
import { matchSubject } from '../filter/engine.js';
import { ListMatcher } from '../filter/list-matcher.js';
import type { PolicySnapshot } from '../store/greylist-store.js';
import type { InsightQueries, WaitingAttemptRow } from '../store/insight-queries.js';
import { findCandidates, mailKey, toSuspects, type CandidateMail, type PassHistory } from './classify.js';
import { domainOf, registrableDomain } from './domains.js';

/** How long after its window closed a lost mail stays on the list: the filter keeps such triplets a day. */
export const LOST_KEPT_SECONDS = 86_400;

/** Below this, a spam-like suspect (hammering, never retried) is left out of the default list. */
export const SPAM_LIKE_SHOWN_FROM = 0.5;

export interface SuspectSources {
  queries: InsightQueries;
  store: { readPolicy(): Promise<PolicySnapshot> };
}

export interface SuspectQuery {
  /** Also closed windows and spam-like suspects of low credibility. */
  all?: boolean;
  limit?: number;
}

/** Suspects from the log, excluding what the lists already decide (a fix already made, or a deny entry). */
export async function findSuspects({ queries, store }: SuspectSources, now: number, query: SuspectQuery = {}): Promise<Suspect[]> {
  const snapshot = await store.readPolicy();
  const settings = snapshot.settings;
  const lists = new ListMatcher(snapshot.lists);
  const listsDecide = Object.values(snapshot.lists).some((list) => list.count > 0) || settings.mode !== 'everyone';
  // The engine's order before triplet state: deny and allow lists, then the grey-list-only mode.
  const decidedByLists = (attempt: WaitingAttemptRow) => {
    const subject = matchSubject({ protocolState: 'RCPT', ...attempt });
    if (lists.match('deny', subject, now) || lists.match('allow', subject, now)) return true;
    return settings.mode === 'grey-list-only' && !lists.match('grey', subject, now);
  };
  const since = now - settings.retryWindow - LOST_KEPT_SECONDS;
  const candidates = findCandidates({
    triplets: queries.waitingTriplets(since),
    attempts: queries.waitingAttempts(since),
    settings,
    now,
    ...(listsDecide ? { wouldPass: decidedByLists } : {}),
  });
  const history = loadHistory(queries, since, candidates);
  return toSuspects(candidates, { settings, now, history }, { ...(query.all ? {} : { keep: isWorthShowing }), ...(query.limit ? { limit: query.limit } : {}) });
}

export function isWorthShowing(suspect: Pick<Suspect, 'secondsLeft' | 'primary' | 'credibility'>): boolean {
  if (suspect.secondsLeft <= 0) return false;
  const spamLike = suspect.primary === 'hammering' || suspect.primary === 'never-retried';
  return !spamLike || suspect.credibility >= SPAM_LIKE_SHOWN_FROM;
}

function loadHistory(queries: InsightQueries, since: number, candidates: readonly CandidateMail[]): PassHistory {
  const wanted = new Set(candidates.map((c) => mailKey(c.sender, c.recipient)));
  const passedSameMail = queries.passedSince(since).filter((pass) => wanted.has(mailKey(pass.sender, pass.recipient)));
  const domains = [...new Set(candidates.map((c) => senderDomainOf(c.sender)).filter(Boolean))];
  const domainPassedNetworks = new Map(queries.passedNetworkCounts(domains).map(({ domain, networks }) => [domain, networks]));
  return { passedSameMail, domainPassedNetworks };
}

/** The registrable domain of a normalised sender, "" for a bounce. */
export function senderDomainOf(sender: string): string {
  return registrableDomain(domainOf(sender));
}
