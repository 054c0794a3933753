import type { RetryHistogram } from '../../shared/insight-contract.js';
import { REPLAY_KIND, type AttemptScan } from '../store/insight-queries.js';
import { REPLAY_ASSUMPTIONS } from './impact.js';

/**
 * Bucket edges in seconds, roughly logarithmic on the values people think in: the Exchange 2003
 * pattern lands in the first buckets, Postfix's 5-minute retry and its back-off in the middle.
 */
export const RETRY_BUCKET_EDGES = [0, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800] as const;

function bucketOf(seconds: number): number {
  let bucket = 0;
  while (bucket + 1 < RETRY_BUCKET_EDGES.length && seconds >= RETRY_BUCKET_EDGES[bucket + 1]!) bucket++;
  return bucket;
}

/**
 * Seconds between consecutive attempts of the same mail (a first contact and its retries until a
 * pass). `delay` is today's, for the chart's mark; retries are counted as early by the delay of their time.
 */
export function retryHistogram(scan: AttemptScan, delay: number, domain: string | null): RetryHistogram {
  const size = scan.maxTripletId + 1;
  const mailStart = new Float64Array(size).fill(Number.NaN);
  const lastAt = new Float64Array(size);
  const counts = new Array<number>(RETRY_BUCKET_EDGES.length).fill(0);
  let total = 0;
  let beforeDelay = 0;
  for (const chunk of scan.chunks()) {
    for (let i = 0; i < chunk.length; i++) {
      const id = chunk.tripletIds[i]!;
      const at = chunk.at[i]!;
      const kind = chunk.kinds[i]!;
      const open = !Number.isNaN(mailStart[id]!);
      if (!open || (kind === REPLAY_KIND.firstContact && at - mailStart[id]! > REPLAY_ASSUMPTIONS.giveUpAfter)) {
        if (kind === REPLAY_KIND.firstContact) {
          mailStart[id] = at;
          lastAt[id] = at;
        } else mailStart[id] = Number.NaN;
        continue;
      }
      counts[bucketOf(at - lastAt[id]!)]!++;
      total++;
      // Judged by the delay in force when it came: the filter deferred it as early, or it passed.
      if (kind === REPLAY_KIND.retry) beforeDelay++;
      lastAt[id] = at;
      if (kind === REPLAY_KIND.passed || kind === REPLAY_KIND.known) mailStart[id] = Number.NaN;
    }
  }
  const buckets = RETRY_BUCKET_EDGES.map((from, i) => ({ from, to: RETRY_BUCKET_EDGES[i + 1] ?? null, count: counts[i]! }));
  return { domain, delay, total, beforeDelay, buckets };
}
