import { UserError, type Handlers } from '../api/dispatch.js';
import type { AdminReads } from '../store/admin-reads.js';
import type { SqliteDatabase } from '../store/database.js';
import { InsightQueries } from '../store/insight-queries.js';
import { applySuspectFix, type FixContext } from './fixes.js';
import type { InsightReads } from './insight-reads.js';

export type InsightRequestName = 'suspects.list' | 'suspects.fix' | 'insight.retryHistogram' | 'insight.impact' | 'insight.prepareImpact';

export interface InsightHandlerContext {
  /** The database the insight reads: the filter's file, or a workstation's copy of a shared database. */
  db: SqliteDatabase;
  /** Where fixes are written: the same database, or the shared one the copy follows. */
  admin: Pick<AdminReads, 'passTripletsNow'>;
  store: FixContext['store'];
  reads: InsightReads;
  clock: () => number;
  /** Brings the copy up to date after a fix, so that the next list no longer shows what was fixed. */
  afterFix?: () => Promise<void>;
}

/** The insight requests of the contract: the long reads through `reads`, the fixes through `admin` and `store`. */
export function insightHandlers({ db, admin, store, reads, clock, afterFix }: InsightHandlerContext): Pick<Handlers, InsightRequestName> {
  const insight = new InsightQueries(db);
  return {
    'suspects.list': async (query) => reads.suspects({ ...query, now: clock() }),
    'suspects.fix': async (request) => {
      const result = await applySuspectFix({ queries: insight, admin, store, now: clock() }, request);
      if (result.applied) await afterFix?.();
      return result;
    },
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
