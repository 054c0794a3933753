import { normaliseDomain } from '../../shared/lists.js';
import { resolveSettings } from '../../shared/settings.js';
import type { Handlers } from '../api/dispatch.js';
import type { AdminQueries } from '../store/admin-queries.js';
import { InsightQueries } from '../store/insight-queries.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { applySuspectFix } from './fixes.js';
import { replayImpact } from './impact.js';
import { retryHistogram } from './retry-histogram.js';
import { findSuspects } from './suspects.js';

export type InsightRequestName = 'suspects.list' | 'suspects.fix' | 'insight.retryHistogram' | 'insight.impact';

/** The list a window shows at most; the CLI prints them all. */
const DEFAULT_SUSPECT_LIMIT = 1000;
const DAY = 86_400;

/** The insight requests of the contract, over the administration's own connection. */
export function insightHandlers({ store, queries, clock }: { store: SqliteStore; queries: AdminQueries; clock: () => number }): Pick<Handlers, InsightRequestName> {
  const insight = new InsightQueries(store.db);
  const settings = async () => resolveSettings(await store.storedSettings()).settings;
  const since = (days: number | undefined, now: number) => (days === undefined ? {} : { since: now - days * DAY });
  return {
    'suspects.list': async ({ all, limit }) => findSuspects({ queries: insight, store }, clock(), { all: all ?? false, limit: limit ?? DEFAULT_SUSPECT_LIMIT }),
    'suspects.fix': async (request) => applySuspectFix({ queries: insight, admin: queries, store, now: clock() }, request),
    'insight.retryHistogram': async ({ domain, days }) => {
      const now = clock();
      const senderDomain = domain?.trim() ? normaliseDomain(domain) : null;
      const scan = insight.scanAttempts({ ...since(days, now), ...(senderDomain ? { senderDomain } : {}) });
      return retryHistogram(scan, (await settings()).delay, senderDomain);
    },
    'insight.impact': async ({ settings: proposal, days }) => {
      const now = clock();
      const current = await settings();
      const timing = { delay: current.delay, retryWindow: current.retryWindow };
      const proposed = { delay: proposal.delay ?? timing.delay, retryWindow: proposal.retryWindow ?? timing.retryWindow };
      return replayImpact(insight.scanAttempts(since(days, now)), timing, proposed, now);
    },
  };
}
