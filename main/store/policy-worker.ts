import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { tableBuffers } from './list-tables.js';
import { readPolicySnapshot } from './policy-reader.js';
import { yieldToAnswers } from '../workers/low-priority.js';

/**
 * Reads lists and settings on its own thread and connection, then hands the tables over without a
 * copy: a million entries take a second or more to read, and the filter answers Postfix meanwhile.
 */
const { path } = workerData as { path: string };
yieldToAnswers();
try {
  const db = openDatabase(path, { readonly: true });
  try {
    const snapshot = readPolicySnapshot(db);
    parentPort!.postMessage({ ok: true, snapshot }, tableBuffers(snapshot.lists));
  } finally {
    db.close();
  }
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
