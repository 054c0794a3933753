import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { DecisionWriter } from './decision-writer.js';
import type { DecisionWrite, ExpiryLimits, FilterPresence } from './greylist-store.js';

type WriterOperation =
  | { type: 'commit'; writes: readonly DecisionWrite[] }
  | { type: 'expire'; limits: ExpiryLimits }
  | { type: 'announce'; presence: FilterPresence; running: boolean }
  | { type: 'close' };
export type WriterRequest = WriterOperation & { id: number };
export type WriterReply = { id: number; ok: true; value: number } | { id: number; ok: false; message: string; code: string | undefined };

export class WriterError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** The worker runs compiled JavaScript; from the TypeScript sources (tests) it is found in the build output. */
function workerUrl(): URL {
  const sibling = new URL('./writer-worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  const built = new URL('../../out/main/store/writer-worker.js', import.meta.url);
  if (existsSync(built)) return built;
  throw new Error('the background writer is not built: run `npm run build`');
}

type Pending = { resolve: (value: number) => void; reject: (error: Error) => void };

/** A DecisionWriter on a worker thread: same operations, answered asynchronously. */
export class BackgroundWriter {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly path: string, private readonly busyTimeoutMs: number) {}

  commit(writes: readonly DecisionWrite[]): Promise<number> {
    return this.send({ type: 'commit', writes });
  }

  expire(limits: ExpiryLimits): Promise<number> {
    return this.send({ type: 'expire', limits });
  }

  announce(presence: FilterPresence, running: boolean): Promise<number> {
    return this.send({ type: 'announce', presence, running });
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await this.send({ type: 'close' }).catch(() => undefined);
    await exited;
  }

  private send(request: WriterOperation): Promise<number> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  private start(): Worker {
    const worker = new Worker(workerUrl(), {
      workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs },
      // The writer allocates little that lives: a small young generation keeps its memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new WriterError(reply.message, reply.code));
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(new WriterError(`database writer stopped: ${error.message}`));
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The same writer in the calling thread, for in-memory databases and tools. */
export function inlineWriter(writer: DecisionWriter): Pick<BackgroundWriter, 'commit' | 'expire' | 'announce'> {
  return {
    commit: async (writes) => (writer.commit(writes), writes.length),
    expire: async (limits) => writer.expire(limits),
    announce: async (presence, running) => (writer.announce(presence, running), 1),
  };
}
