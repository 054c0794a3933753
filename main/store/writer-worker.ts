import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { serveRequests } from '../workers/worker-client.js';
import type { WriterRequest } from './background-writer.js';
import { openDatabase } from './database.js';
import { prepareDecisionWriter } from './decision-writer.js';

/** Commits the filter's decisions on its own thread and connection, so the request path never waits for disk. */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };

/**
 * When answers and commits want the same CPU, answers go first: Postfix waits for an answer, nobody
 * waits for a commit. Linux gives each thread its own nice value; elsewhere the thread keeps the process's.
 */
function yieldToAnswers(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
  } catch {
    // No per-thread priority here: commits compete with answers on equal terms.
  }
}
yieldToAnswers();
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
