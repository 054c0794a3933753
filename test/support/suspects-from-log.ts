import type { Suspect } from '../../shared/insight-contract.js';
import { findCandidates, isWorthShowing, mailKey, toSuspects } from '../../main/insight/classify.js';
import { listsDecision } from '../../main/insight/lists-decide.js';
import { LOST_KEPT_SECONDS, senderDomainOf, type SuspectQuery } from '../../main/insight/suspects.js';
import type { PolicySnapshot } from '../../main/store/greylist-store.js';
import type { InsightQueries } from '../../main/store/insight-queries.js';

/**
 * The suspects computed from the whole log at once, through the row classifier: what the
 * waiting-mail model must give after any sequence of updates.
 */
export async function suspectsFromLog(queries: InsightQueries, store: { readPolicy(): Promise<PolicySnapshot> }, now: number, query: SuspectQuery = {}): Promise<Suspect[]> {
  const snapshot = await store.readPolicy();
  const settings = snapshot.settings;
  const decide = listsDecision(snapshot, now);
  const since = now - settings.retryWindow - LOST_KEPT_SECONDS;
  const candidates = findCandidates({
    triplets: queries.waitingTriplets(since),
    attempts: queries.waitingAttempts(since),
    settings,
    now,
    ...(decide ? { wouldPass: decide } : {}),
  });
  const wanted = new Set(candidates.map((c) => mailKey(c.sender, c.recipient)));
  const passedSameMail = queries.passedSince(since).filter((pass) => wanted.has(mailKey(pass.sender, pass.recipient)));
  const domains = [...new Set(candidates.map((c) => senderDomainOf(c.sender)).filter(Boolean))];
  const domainPassedNetworks = new Map(queries.passedNetworkCounts(domains).map(({ domain, networks }) => [domain, networks]));
  return toSuspects(candidates, { settings, now, history: { passedSameMail, domainPassedNetworks } }, { ...(query.all ? {} : { keep: isWorthShowing }), ...(query.limit ? { limit: query.limit } : {}) });
}
