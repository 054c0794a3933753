import { WorkerClient, workerUrl } from '../workers/worker-client.js';
import { encodeWrites, type EncodedWrites } from './decision-codec.js';
import type { DecisionWriter } from './decision-writer.js';
import type { DecisionWrite, ExpiryLimits, FilterPresence, StringCollection } from './greylist-store.js';

export type WriterRequest =
  | { type: 'commit'; writes: EncodedWrites }
  | { type: 'expire'; limits: ExpiryLimits }
  | { type: 'collect'; now: number }
  | { type: 'announce'; presence: FilterPresence; running: boolean }
  | { type: 'close' };

/** A DecisionWriter on a worker thread with its own connection: same operations, answered asynchronously. */
export class BackgroundWriter {
  private readonly client: WorkerClient<WriterRequest>;

  constructor(path: string, busyTimeoutMs: number) {
    this.client = new WorkerClient(workerUrl(import.meta.url, 'main/store/writer-worker.js'), { path, busyTimeoutMs }, {
      // The writer allocates little that lives: a small young generation keeps its memory small.
      maxYoungGenerationSizeMb: 4,
    });
  }

  commit(writes: readonly DecisionWrite[]): Promise<number> {
    return this.client.request({ type: 'commit', writes: encodeWrites(writes) });
  }

  expire(limits: ExpiryLimits): Promise<number> {
    return this.client.request({ type: 'expire', limits });
  }

  collectStrings(now: number): Promise<StringCollection> {
    return this.client.request({ type: 'collect', now });
  }

  announce(presence: FilterPresence, running: boolean): Promise<number> {
    return this.client.request({ type: 'announce', presence, running });
  }

  close(): Promise<void> {
    return this.client.close({ type: 'close' });
  }
}

/** The same writer in the calling thread, for in-memory databases and tools. */
export function inlineWriter(writer: DecisionWriter): Pick<BackgroundWriter, 'commit' | 'expire' | 'collectStrings' | 'announce'> {
  return {
    commit: async (writes) => (writer.commit(writes), writes.length),
    expire: async (limits) => writer.expire(limits),
    collectStrings: async (now) => writer.collectStrings(now),
    announce: async (presence, running) => (writer.announce(presence, running), 1),
  };
}
