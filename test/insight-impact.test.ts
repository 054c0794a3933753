import { describe, expect, it } from 'vitest';
import { REPLAY_ASSUMPTIONS, replayImpact } from '../main/insight/impact.js';
import { retryHistogram } from '../main/insight/retry-histogram.js';
import { REPLAY_KIND, type AttemptScan } from '../main/store/insight-queries.js';

const { firstContact: FIRST, retry: RETRY, passed: PASSED, known: KNOWN } = REPLAY_KIND;
const CURRENT = { delay: 300, retryWindow: 172_800 };

/** A scan over rows [tripletId, at, kind] in log order, cut in small chunks like the store's. */
function scanOf(rows: Array<[number, number, number]>, chunkSize = 2): AttemptScan {
  const ordered = [...rows].sort((a, b) => a[1] - b[1]);
  return {
    maxTripletId: Math.max(0, ...rows.map((r) => r[0])),
    *chunks() {
      for (let i = 0; i < ordered.length; i += chunkSize) {
        const part = ordered.slice(i, i + chunkSize);
        yield {
          length: part.length,
          tripletIds: Int32Array.from(part.map((r) => r[0])),
          at: Float64Array.from(part.map((r) => r[1])),
          kinds: Uint8Array.from(part.map((r) => r[2])),
        };
      }
    },
  };
}

const exchange: Array<[number, number, number]> = [[1, 0, FIRST], [1, 5, RETRY], [1, 20, RETRY]];
const honest: Array<[number, number, number]> = [[2, 100, FIRST], [2, 500, PASSED], [2, 9000, KNOWN]];
const neverRetried: Array<[number, number, number]> = [[3, 50, FIRST]];
const NOW = 20_000;

describe('impact replay', () => {
  it('counts mails delayed, added delay, lost, never retried and pending, under both settings in one pass', () => {
    const pending: Array<[number, number, number]> = [[4, NOW - 600, FIRST]];
    const report = replayImpact(scanOf([...exchange, ...honest, ...neverRetried, ...pending]), CURRENT, { delay: 10, retryWindow: CURRENT.retryWindow }, NOW);
    expect(report).toMatchObject({ attempts: 8, mails: 4, knownPasses: 1 });
    expect(report.current).toEqual({ settings: CURRENT, delayed: 1, addedDelayP50: 400, addedDelayP95: 400, lost: 1, neverRetried: 1, pending: 1 });
    // With a 10 s delay the Exchange retry at +20 s passes; the honest sender passes at its first retry as before.
    expect(report.proposed).toEqual({ settings: { delay: 10, retryWindow: CURRENT.retryWindow }, delayed: 2, addedDelayP50: 20, addedDelayP95: 400, lost: 0, neverRetried: 1, pending: 1 });
  });

  it('extrapolates the retries of a mail that passed, at its last interval, when the proposed delay is longer', () => {
    const report = replayImpact(scanOf(honest), CURRENT, { delay: 600, retryWindow: CURRENT.retryWindow }, NOW);
    expect(report.proposed).toMatchObject({ delayed: 1, addedDelayP50: 800, lost: 0 });
    const slowPass: Array<[number, number, number]> = [[5, 0, FIRST], [5, 7200, PASSED]];
    // A one-hour window: the retry at two hours starts over, and the next one (four hours) falls outside it again.
    expect(replayImpact(scanOf(slowPass), CURRENT, { delay: 300, retryWindow: 3600 }, NOW).proposed).toMatchObject({ delayed: 0, lost: 1 });
    expect(replayImpact(scanOf(slowPass), CURRENT, CURRENT, NOW).current).toMatchObject({ delayed: 1, addedDelayP50: 7200 });
  });

  it('keeps a sender retrying past the window as one mail, and one coming back after five days as a new one', () => {
    const persistent: Array<[number, number, number]> = [[6, 0, FIRST], [6, 100, RETRY], [6, 4000, FIRST], [6, 4400, PASSED]];
    const report = replayImpact(scanOf(persistent), { delay: 300, retryWindow: 3600 }, { delay: 300, retryWindow: 7200 }, NOW);
    expect(report.mails).toBe(1);
    expect(report.current).toMatchObject({ delayed: 1, addedDelayP50: 4400 });
    expect(report.proposed).toMatchObject({ delayed: 1, addedDelayP50: 4000 });
    const later = REPLAY_ASSUMPTIONS.giveUpAfter + 1;
    const twoMails = replayImpact(scanOf([[7, 0, FIRST], [7, 10, RETRY], [7, later, FIRST]]), CURRENT, CURRENT, later + 10 * 3600);
    expect(twoMails).toMatchObject({ mails: 2, current: { lost: 1, neverRetried: 1 } });
  });

  it('skips a mail whose first contact is not in the replayed range', () => {
    expect(replayImpact(scanOf([[8, 100, RETRY], [8, 400, PASSED]]), CURRENT, CURRENT, NOW)).toMatchObject({ mails: 0, current: { delayed: 0, lost: 0 } });
  });
});

describe('retry histogram', () => {
  it('buckets the intervals between attempts of the same mail, and counts those before the delay', () => {
    const histogram = retryHistogram(scanOf([...exchange, ...honest, ...neverRetried]), 300, null);
    expect(histogram).toMatchObject({ domain: null, delay: 300, total: 3, beforeDelay: 2 });
    const counted = histogram.buckets.filter((b) => b.count > 0).map((b) => [b.from, b.to, b.count]);
    expect(counted).toEqual([
      [5, 10, 1],
      [10, 20, 1],
      [300, 600, 1],
    ]);
    expect(histogram.buckets.at(-1)).toEqual({ from: 172_800, to: null, count: 0 });
  });
});
