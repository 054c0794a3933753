import { UserError, type Handlers } from '../api/dispatch.js';
import type { AdminQueries } from '../store/admin-queries.js';
import { InsightQueries } from '../store/insight-queries.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { applySuspectFix } from './fixes.js';
import type { InsightReads } from './insight-reads.js';

export type InsightRequestName = 'suspects.list' | 'suspects.fix' | 'insight.retryHistogram' | 'insight.impact' | 'insight.prepareImpact';

/** The insight requests of the contract: the long reads through `reads`, the fixes on the administration's connection. */
export function insightHandlers({ store, queries, reads, clock }: { store: SqliteStore; queries: AdminQueries; reads: InsightReads; clock: () => number }): Pick<Handlers, InsightRequestName> {
  const insight = new InsightQueries(store.db);
  return {
    'suspects.list': async (query) => reads.suspects({ ...query, now: clock() }),
    'suspects.fix': async (request) => applySuspectFix({ queries: insight, admin: queries, store, now: clock() }, request),
    'insight.retryHistogram': async (query) => reads.retryHistogram({ ...query, now: clock() }),
    'insight.impact': async (query) => reads.impact({ ...query, now: clock() }),
    'insight.prepareImpact': async () => ({ started: await reads.prepareImpact() }),
  };
}

/**
 * On a shared PostgreSQL database: the insight reads build their models from a database file's
 * tables, and refuse with the reason rather than show an empty screen.
 */
export function sharedDatabaseInsight(): Pick<Handlers, InsightRequestName> {
  const refuse = async (): Promise<never> => {
    throw new UserError('At risk, Retry behaviour and the impact preview read a database file; on a shared PostgreSQL greylist they are not available');
  };
  return { 'suspects.list': refuse, 'suspects.fix': refuse, 'insight.retryHistogram': refuse, 'insight.impact': refuse, 'insight.prepareImpact': refuse };
}
