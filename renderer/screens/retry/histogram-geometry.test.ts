import { describe, expect, it } from 'vitest';
import { barsOf, beforeDelay, bucketLabel, countAxis, delayPosition, formatEdge } from './histogram-geometry.js';

const EDGES = [0, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800];
const buckets = EDGES.map((from, i) => ({ from, to: EDGES[i + 1] ?? null, count: 0 }));

describe('the retry histogram', () => {
  it('labels buckets in the units people think in', () => {
    expect(formatEdge(300)).toBe('5 min');
    expect(bucketLabel({ from: 0, to: 5 })).toBe('0–5 s');
    expect(bucketLabel({ from: 5, to: 10 })).toBe('5–10 s');
    expect(bucketLabel({ from: 30, to: 60 })).toBe('30 s – 1 min');
    expect(bucketLabel({ from: 120, to: 300 })).toBe('2–5 min');
    expect(bucketLabel({ from: 28_800, to: 86_400 })).toBe('8 h – 1 d');
    expect(bucketLabel({ from: 172_800, to: null })).toBe('over 2 d');
    expect(buckets.map(bucketLabel)).toHaveLength(17);
  });

  it('marks the delay where it falls, and which retries came before it', () => {
    expect(delayPosition(buckets, 300)).toBe(7); // the left edge of 5–10 min
    expect(delayPosition(buckets, 450)).toBeCloseTo(7.5);
    expect(delayPosition(buckets, 2)).toBeCloseTo(0.4);
    expect(delayPosition(buckets, 0)).toBe(0);
    expect(delayPosition(buckets, 5 * 86_400)).toBe(16);
    expect(beforeDelay({ from: 120, to: 300 }, 300)).toBe('all');
    expect(beforeDelay({ from: 300, to: 600 }, 300)).toBe('none');
    expect(beforeDelay({ from: 120, to: 300 }, 200)).toBe('some');
  });

  it('scales bars to the tallest, with each one\'s share of the total', () => {
    const bars = barsOf({ delay: 300, total: 40, buckets: [{ from: 0, to: 5, count: 10 }, { from: 5, to: 600, count: 30 }, { from: 600, to: null, count: 0 }] });
    expect(bars.map((b) => [b.height, b.share, b.early])).toEqual([
      [1 / 3, 0.25, 'all'],
      [1, 0.75, 'some'],
      [0, 0, 'none'],
    ]);
    expect(barsOf({ delay: 300, total: 0, buckets: [{ from: 0, to: null, count: 0 }] })[0]).toMatchObject({ height: 0, share: 0 });
  });

  it('rounds the count axis up to 1, 2 or 5 × 10ⁿ', () => {
    expect(countAxis(0)).toEqual({ top: 1, ticks: [0, 1] });
    expect(countAxis(7).top).toBe(10);
    expect(countAxis(7).ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(countAxis(130)).toEqual({ top: 200, ticks: [0, 50, 100, 150, 200] });
    expect(countAxis(3)).toEqual({ top: 5, ticks: [0, 1, 2, 3, 4, 5] });
    expect(countAxis(2)).toEqual({ top: 2, ticks: [0, 1, 2] });
    expect(countAxis(1)).toEqual({ top: 1, ticks: [0, 1] });
    expect(countAxis(40_000)).toEqual({ top: 50_000, ticks: [0, 10_000, 20_000, 30_000, 40_000, 50_000] });
  });
});
