import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { prepareDecisionWriter } from './decision-writer.js';
import type { WriterReply, WriterRequest } from './background-writer.js';

/** Commits the filter's decisions on its own thread and connection, so the request path never waits for disk. */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = openDatabase(path, { busyTimeoutMs });
const writer = prepareDecisionWriter(db);

parentPort!.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    if (request.type === 'close') {
      db.close();
      reply = { id: request.id, ok: true, value: 0 };
      parentPort!.postMessage(reply);
      parentPort!.close();
      return;
    }
    let value = 0;
    if (request.type === 'commit') value = (writer.commit(request.writes), request.writes.length);
    else if (request.type === 'expire') value = writer.expire(request.limits);
    else writer.announce(request.presence, request.running);
    reply = { id: request.id, ok: true, value };
  } catch (error) {
    reply = { id: request.id, ok: false, message: (error as Error).message, code: (error as { code?: string }).code };
  }
  parentPort!.postMessage(reply);
});
