import { existsSync } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code: string | undefined };

/** An error that happened in the worker, with its SQLite code when there was one. */
export class WorkerError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * A worker runs compiled JavaScript: `builtPath` is its file under out/ (e.g. "main/store/writer-worker.js").
 * From the built code it is a sibling; from the TypeScript sources (tests) it is found in the build output.
 */
export function workerUrl(from: string, builtPath: string): URL {
  const name = builtPath.split('/').at(-1)!;
  const sibling = new URL(`./${name}`, from);
  if (existsSync(sibling)) return sibling;
  const built = new URL(`${'../'.repeat(builtPath.split('/').length - 1)}out/${builtPath}`, from);
  if (existsSync(built)) return built;
  throw new Error(`${builtPath} is not built: run \`npm run build\``);
}

/**
 * Requests to a worker thread, each answered once, in any order. The worker starts at the first
 * request and again after it died; requests in flight when it dies fail with the reason.
 */
export class WorkerClient<Request extends { type: string }> {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(private readonly url: URL, private readonly workerData: unknown, private readonly resourceLimits?: ResourceLimits) {}

  request<T>(request: Request): Promise<T> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /** Sends the request that makes the worker finish (it replies, then closes its port) and waits for its exit. */
  async close(closeRequest: Request): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await this.request(closeRequest).catch(() => undefined);
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(this.url, { workerData: this.workerData, ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}) });
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new WorkerError(reply.message, reply.code));
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(new WorkerError(`worker stopped: ${error.message}`));
      this.pending.clear();
      if (this.worker === worker) this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The worker side: answers each request with `handle`'s value or error; `close` ends the worker after replying. */
export function serveRequests<Request extends { type: string; id: number }>(
  port: import('node:worker_threads').MessagePort,
  handle: (request: Request) => unknown,
  close: () => void,
): void {
  port.on('message', (request: Request) => {
    const send = (reply: WorkerReply) => {
      port.postMessage(reply);
      if (request.type === 'close') {
        close();
        port.close();
      }
    };
    const failed = (error: unknown) => send({ id: request.id, ok: false, message: (error as Error).message, code: (error as { code?: string }).code });
    try {
      const value = handle(request);
      // A synchronous answer goes out at once: the filter's writer must not wait a turn per commit.
      if (value instanceof Promise) value.then((resolved: unknown) => send({ id: request.id, ok: true, value: resolved ?? null }), failed);
      else send({ id: request.id, ok: true, value: value ?? null });
    } catch (error) {
      failed(error);
    }
  });
}
