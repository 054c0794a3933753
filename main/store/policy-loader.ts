import { Worker } from 'node:worker_threads';
import { workerUrl } from '../workers/worker-client.js';
import type { PolicySnapshot } from './greylist-store.js';

type Reply = { ok: true; snapshot: PolicySnapshot } | { ok: false; message: string };

/** Reads the policy of the database at `path` on a short-lived worker thread (see policy-worker.ts). */
export function readPolicyOnWorker(path: string): Promise<PolicySnapshot> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl(import.meta.url, 'main/store/policy-worker.js'), {
      workerData: { path },
      // Rows are read one at a time and the tables live outside the heap: a small heap is plenty, and leaves less behind.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 },
    });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if (reply.ok) resolve(reply.snapshot);
      else reject(new Error(reply.message));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the policy reader stopped (exit code ${code})`));
    });
  });
}
