import type { RetryHistogram } from '../../../shared/insight-contract.js';

type Bucket = RetryHistogram['buckets'][number];

/** A bucket edge the way people say it: 0, 5 s, 2 min, 4 h, 2 d. */
export function formatEdge(seconds: number): string {
  if (seconds === 0) return '0';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  if (seconds < 86_400) return `${seconds / 3600} h`;
  return `${seconds / 86_400} d`;
}

/** "5–10 s", "1–2 min", "over 2 d": units said once where both edges share them. */
export function bucketLabel({ from, to }: Pick<Bucket, 'from' | 'to'>): string {
  if (to === null) return `over ${formatEdge(from)}`;
  const a = formatEdge(from);
  const b = formatEdge(to);
  const unitA = a.split(' ')[1];
  const unitB = b.split(' ')[1];
  return unitA === unitB || a === '0' ? `${a.split(' ')[0]}–${b}` : `${a} – ${b}`;
}

/** Whether a bucket's retries came before the delay had run out: all of them, some, or none. */
export function beforeDelay({ from, to }: Pick<Bucket, 'from' | 'to'>, delay: number): 'all' | 'some' | 'none' {
  if (to !== null && to <= delay) return 'all';
  return from < delay ? 'some' : 'none';
}

/**
 * Where the delay falls on the bucket axis, in buckets from the left edge (2.5: halfway through
 * the third bucket), linear inside a bucket. Past the last edge it sits at the start of the last.
 */
export function delayPosition(buckets: readonly Pick<Bucket, 'from' | 'to'>[], delay: number): number {
  for (const [index, { from, to }] of buckets.entries()) {
    if (to === null) return index;
    if (delay < to) return index + Math.max(0, (delay - from) / (to - from));
  }
  return buckets.length;
}

export interface Bar {
  label: string;
  count: number;
  /** Share of all intervals counted, 0..1. */
  share: number;
  /** Height relative to the tallest bar, 0..1. */
  height: number;
  early: 'all' | 'some' | 'none';
}

export function barsOf(histogram: Pick<RetryHistogram, 'buckets' | 'total' | 'delay'>): Bar[] {
  const tallest = Math.max(1, ...histogram.buckets.map((b) => b.count));
  return histogram.buckets.map((bucket) => ({
    label: bucketLabel(bucket),
    count: bucket.count,
    share: histogram.total ? bucket.count / histogram.total : 0,
    height: bucket.count / tallest,
    early: beforeDelay(bucket, histogram.delay),
  }));
}

/** A round top for the count axis (1, 2, 5 × 10ⁿ) and its ticks. */
export function countAxis(max: number): { top: number; ticks: number[] } {
  if (max <= 0) return { top: 1, ticks: [0, 1] };
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const top = [1, 2, 5, 10].map((m) => m * magnitude).find((value) => value >= max)!;
  // Counts are whole: up to 5, one tick per count.
  const step = top <= 5 ? 1 : top / (top / magnitude >= 5 || top === magnitude ? 5 : 4);
  const ticks: number[] = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return { top, ticks };
}
