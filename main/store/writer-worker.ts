import { parentPort, workerData } from 'node:worker_threads';
import { serveRequests } from '../workers/worker-client.js';
import type { WriterRequest } from './background-writer.js';
import { openDatabase } from './database.js';
import { prepareDecisionWriter } from './decision-writer.js';

/** Commits the filter's decisions on its own thread and connection, so the request path never waits for disk. */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = openDatabase(path, { busyTimeoutMs });
const writer = prepareDecisionWriter(db);

serveRequests<WriterRequest & { id: number }>(
  parentPort!,
  (request) => {
    switch (request.type) {
      case 'commit':
        writer.commit(request.writes);
        return request.writes.length;
      case 'expire':
        return writer.expire(request.limits);
      case 'announce':
        writer.announce(request.presence, request.running);
        return 1;
      case 'close':
        return 0;
    }
  },
  () => db.close(),
);
