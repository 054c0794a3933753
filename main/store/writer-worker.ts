import { parentPort, workerData } from 'node:worker_threads';
import { serveRequests } from '../workers/worker-client.js';
import type { WriterRequest } from './background-writer.js';
import { openDatabase } from './database.js';
import { decodeWrites } from './decision-codec.js';
import { prepareDecisionWriter } from './decision-writer.js';

/** Commits the filter's decisions on its own thread and connection, so the request path never waits for disk. */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = openDatabase(path, { busyTimeoutMs });
// A checkpoint copies every page changed since the last one: at SQLite's 1,000 pages, a busy filter
// copies its hot pages over and over. 10,000 (a WAL of about 40 MB) halves what the disk is given.
db.pragma('wal_autocheckpoint = 10000');
// The writer touches the tails of the tables and scattered pages of two indexes; the rest of a 16 MB
// page cache would only hold pages it does not read again, in this process's memory (the system's
// file cache keeps them anyway).
db.pragma('cache_size = -4096');
const writer = prepareDecisionWriter(db);

serveRequests<WriterRequest & { id: number }>(
  parentPort!,
  (request) => {
    switch (request.type) {
      case 'commit': {
        const writes = decodeWrites(request.writes);
        writer.commit(writes);
        return writes.length;
      }
      case 'expire':
        return writer.expire(request.limits);
      case 'collect':
        return writer.collectStrings(request.now);
      case 'announce':
        writer.announce(request.presence, request.running);
        return 1;
      case 'close':
        return 0;
    }
  },
  () => db.close(),
);
