import { parentPort, workerData } from 'node:worker_threads';
import { yieldToAnswers } from '../workers/low-priority.js';
import { openDatabase } from './database.js';
import { fillKnownKeys } from './known-keys.js';
import { BloomFilter } from './bloom-filter.js';

/**
 * Reads every stored triplet and client into two Bloom filters on its own thread and connection,
 * and hands their bits over without a copy: at a million triplets this is seconds of reading
 * (each key's texts are looked up by id), which the thread answering Postfix does not wait for.
 */
const { path, tripletCapacity, clientCapacity } = workerData as { path: string; tripletCapacity: number; clientCapacity: number };
yieldToAnswers();
try {
  const db = openDatabase(path, { readonly: true });
  // Each page is read once: a page cache would only hold memory the process keeps after the thread ends.
  db.pragma('cache_size = -1024');
  try {
    const triplets = new BloomFilter(tripletCapacity);
    const clients = new BloomFilter(clientCapacity);
    fillKnownKeys(db, triplets, clients);
    parentPort!.postMessage(
      { ok: true, triplets: { bits: triplets.words, added: triplets.added }, clients: { bits: clients.words, added: clients.added } },
      [triplets.words.buffer as ArrayBuffer, clients.words.buffer as ArrayBuffer],
    );
  } finally {
    db.close();
  }
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message });
}
