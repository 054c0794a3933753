import { WorkerClient, workerUrl } from '../workers/worker-client.js';
import type { HistogramQuery, ImpactQuery, InsightReads, SuspectsQuery } from './insight-reads.js';

export type InsightRequest =
  | { type: 'suspects'; query: SuspectsQuery }
  | { type: 'retryHistogram'; query: HistogramQuery }
  | { type: 'impact'; query: ImpactQuery }
  | { type: 'prepareImpact' }
  | { type: 'close' };

/** The insight reads on a worker thread with its own read-only connection to the database at `path`. */
export class BackgroundInsight implements InsightReads {
  private readonly client: WorkerClient<InsightRequest>;

  constructor(path: string) {
    this.client = new WorkerClient(workerUrl(import.meta.url, 'main/insight/insight-worker.js'), { path });
  }

  suspects(query: SuspectsQuery) {
    return this.client.request<Awaited<ReturnType<InsightReads['suspects']>>>({ type: 'suspects', query });
  }

  retryHistogram(query: HistogramQuery) {
    return this.client.request<Awaited<ReturnType<InsightReads['retryHistogram']>>>({ type: 'retryHistogram', query });
  }

  impact(query: ImpactQuery) {
    return this.client.request<Awaited<ReturnType<InsightReads['impact']>>>({ type: 'impact', query });
  }

  prepareImpact() {
    return this.client.request<boolean>({ type: 'prepareImpact' });
  }

  close(): Promise<void> {
    return this.client.close({ type: 'close' });
  }
}
