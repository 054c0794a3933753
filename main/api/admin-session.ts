import type { EventName, EventPayload, FilterStatus } from '../../shared/contract.js';
import { FilterService, type Clock } from '../filter/filter-service.js';
import { quietLog } from '../filter/log.js';
import { AdminQueries } from '../store/admin-queries.js';
import { PgAdminQueries } from '../store/postgres/pg-admin-queries.js';
import { PgReplica } from '../store/postgres/pg-replica.js';
import type { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { VERSION } from '../version.js';
import type { Handlers } from './dispatch.js';
import type { AppConnections } from './connection-handlers.js';
import { createHandlers } from './handlers.js';
import { BackgroundInsight } from '../insight/background-insight.js';
import type { InsightReads } from '../insight/insight-reads.js';
import { startLivePump } from './live-pump.js';
import { startPolicyWatch } from './policy-watch.js';

/** What the administration needs of the filter's supervisor. */
export interface SupervisorView {
  status(): FilterStatus;
  restart(): Promise<FilterStatus>;
  onStatus(listener: (status: FilterStatus) => void): () => void;
}

export interface AdminSession {
  handlers: Handlers;
  close(): Promise<void>;
}

/**
 * Everything a window onto the filter needs, whatever carries it (Electron IPC or the browser
 * host): the handlers of the contract, and the events they push.
 */
export async function openAdminSession(options: {
  /** The session's own connection (a database file's, or a shared PostgreSQL one's); it closes it when the session closes. */
  store: SqliteStore | PgStore;
  supervisor: SupervisorView;
  emit: <N extends EventName>(event: N, payload: EventPayload<N>) => void;
  clock?: Clock;
  /** Where a long first copy of a shared database says how far it is. */
  progress?: (line: string) => void;
  /** The desktop app's saved databases. */
  connections?: AppConnections;
}): Promise<AdminSession> {
  const { store } = options;
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  // Explains decisions the way the running filter would; it never answers Postfix nor expires rows.
  const checker = await FilterService.start({ store, log: quietLog(), productVersion: VERSION, expiryIntervalMs: 0, clock });
  let queries;
  let insight: BackgroundInsight | undefined;
  let copy: PgReplica | undefined;
  let handlers;
  if (store instanceof SqliteStore) {
    queries = new AdminQueries(store.db);
    // Reads that scan the attempt log run on their own thread: the window stays responsive meanwhile.
    insight = new BackgroundInsight(store.db.name);
    handlers = createHandlers({ store, queries, supervisor: options.supervisor, checker, insight, clock, ...(options.connections ? { connections: options.connections } : {}) });
  } else {
    const shared = new PgAdminQueries(store.sql);
    queries = shared;
    // The insight reads run on a copy of the shared greylist kept on this machine, as they run on a filter's file.
    copy = await PgReplica.open(store.sql, options.progress);
    copy.follow();
    const background = (insight = new BackgroundInsight(copy.path));
    const following = copy;
    // Each read catches the copy up first: At risk shows the shared greylist as it is now.
    const fresh: InsightReads = {
      suspects: async (query) => (await following.sync(), background.suspects(query)),
      retryHistogram: async (query) => (await following.sync(), background.retryHistogram(query)),
      impact: async (query) => (await following.sync(), background.impact(query)),
      prepareImpact: () => background.prepareImpact(),
    };
    handlers = createHandlers({
      store,
      queries,
      supervisor: options.supervisor,
      checker,
      insight: fresh,
      sharedCopy: copy,
      sharedFilters: (now) => shared.filters(now),
      clock,
      ...(options.connections ? { connections: options.connections } : {}),
    });
  }
  const pump = startLivePump(queries, (attempts) => options.emit('attempts.added', attempts));
  const watch = startPolicyWatch(store, queries, (change) => options.emit('policy.changed', change));
  const unsubscribe = options.supervisor.onStatus((status) => options.emit('filter.status', status));
  return {
    handlers,
    close: async () => {
      unsubscribe();
      pump.stop();
      watch.stop();
      await checker.stop();
      await insight?.close();
      await copy?.close();
      await store.close();
    },
  };
}
