import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { serveRequests } from '../workers/worker-client.js';
import type { InsightRequest } from './background-insight.js';
import { inlineInsightReads } from './insight-reads.js';

/** Runs the insight reads on their own thread and read-only connection, so that the window stays responsive. */
const { path } = workerData as { path: string };
const store = new SqliteStore(openDatabase(path, { readonly: true }));
const reads = inlineInsightReads(store);

serveRequests<InsightRequest & { id: number }>(
  parentPort!,
  (request) => {
    switch (request.type) {
      case 'suspects':
        return reads.suspects(request.query);
      case 'retryHistogram':
        return reads.retryHistogram(request.query);
      case 'impact':
        return reads.impact(request.query);
      case 'prepareImpact':
        return reads.prepareImpact();
      case 'close':
        return 0;
    }
  },
  () => void store.close(),
);
