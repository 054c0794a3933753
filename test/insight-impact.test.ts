import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import { REPLAY_ASSUMPTIONS, replayImpact, type ReplaySettings } from '../main/insight/impact.js';
import { retryHistogram } from '../main/insight/retry-histogram.js';
import { REPLAY_KIND, type AttemptScan } from '../main/store/insight-queries.js';
import { MAIL_KIND, type MailScan } from '../main/store/mail-scan.js';

const { firstContact: FIRST, retry: RETRY, passed: PASSED, known: KNOWN } = REPLAY_KIND;
const CURRENT: ReplaySettings = { ...DEFAULT_SETTINGS, delay: 300, retryWindow: 172_800, autoAllowAfter: 0 };
const timing = (over: Partial<ReplaySettings>): ReplaySettings => ({ ...CURRENT, ...over });
const replayed = ({ maxAge: _maxAge, ...settings }: ReplaySettings) => settings;

/** Rows [triplet (its own mail), at, kind, client address] in log order, cut in small chunks like the store's. */
type Row = [number, number, number, string?];
function scanOf(rows: Row[], chunkSize = 2): AttemptScan & MailScan {
  const ordered = [...rows].sort((a, b) => a[1] - b[1]);
  const clients: string[] = [];
  const clientOf = (address = '192.0.2.1') => (clients.includes(address) ? clients.indexOf(address) : clients.push(address) - 1);
  return {
    maxTripletId: Math.max(0, ...rows.map((r) => r[0])),
    clients,
    mailCount: () => new Set(rows.map((r) => r[0])).size,
    *chunks() {
      for (let i = 0; i < ordered.length; i += chunkSize) {
        const part = ordered.slice(i, i + chunkSize);
        yield {
          length: part.length,
          tripletIds: Int32Array.from(part.map((r) => r[0])),
          triplets: Int32Array.from(part.map((r) => r[0])),
          mails: Int32Array.from(part.map((r) => r[0])),
          clients: Int32Array.from(part.map((r) => clientOf(r[3]))),
          at: Float64Array.from(part.map((r) => r[1])),
          kinds: Uint8Array.from(part.map((r) => r[2])),
          grey: new Uint8Array(part.length),
        };
      }
    },
  };
}

const exchange: Row[] = [[1, 0, FIRST], [1, 5, RETRY], [1, 20, RETRY]];
const honest: Row[] = [[2, 100, FIRST], [2, 500, PASSED], [2, 9000, KNOWN]];
const neverRetried: Row[] = [[3, 50, FIRST]];
const NOW = 20_000;

describe('impact replay', () => {
  it('counts mails delayed, let in at once, added delay, lost, never retried and pending, under both settings in one pass', () => {
    const pending: Row[] = [[4, NOW - 600, FIRST]];
    const report = replayImpact(scanOf([...exchange, ...honest, ...neverRetried, ...pending]), CURRENT, timing({ delay: 10 }), NOW);
    // The honest sender's later mail on its passed triplet is a mail of its own, let in at once.
    expect(report).toMatchObject({ attempts: 8, mails: 5 });
    expect(report.current).toEqual({ settings: replayed(CURRENT), delayed: 1, passedAtOnce: 1, addedDelayP50: 400, addedDelayP95: 400, lost: 1, neverRetried: 1, pending: 1 });
    // With a 10 s delay the Exchange retry at +20 s passes; the honest sender passes at its first retry as before.
    expect(report.proposed).toEqual({ settings: replayed(timing({ delay: 10 })), delayed: 2, passedAtOnce: 1, addedDelayP50: 20, addedDelayP95: 400, lost: 0, neverRetried: 1, pending: 1 });
  });

  it('extrapolates the retries of a mail that passed, at its last interval, when the proposed delay is longer', () => {
    const report = replayImpact(scanOf(honest), CURRENT, timing({ delay: 600 }), NOW);
    expect(report.proposed).toMatchObject({ delayed: 1, addedDelayP50: 800, lost: 0 });
    const slowPass: Row[] = [[5, 0, FIRST], [5, 7200, PASSED]];
    // A one-hour window: the retry at two hours starts over, and the next one (four hours) falls outside it again.
    expect(replayImpact(scanOf(slowPass), CURRENT, timing({ delay: 300, retryWindow: 3600 }), NOW).proposed).toMatchObject({ delayed: 0, lost: 1 });
    expect(replayImpact(scanOf(slowPass), CURRENT, CURRENT, NOW).current).toMatchObject({ delayed: 1, addedDelayP50: 7200 });
  });

  it('keeps a sender retrying past the window as one mail, and one coming back after five days as a new one', () => {
    const persistent: Row[] = [[6, 0, FIRST], [6, 100, RETRY], [6, 4000, FIRST], [6, 4400, PASSED]];
    const report = replayImpact(scanOf(persistent), timing({ retryWindow: 3600 }), timing({ retryWindow: 7200 }), NOW);
    expect(report.mails).toBe(1);
    expect(report.current).toMatchObject({ delayed: 1, addedDelayP50: 4400 });
    expect(report.proposed).toMatchObject({ delayed: 1, addedDelayP50: 4000 });
    const later = REPLAY_ASSUMPTIONS.giveUpAfter + 1;
    const twoMails = replayImpact(scanOf([[7, 0, FIRST], [7, 10, RETRY], [7, later, FIRST]]), CURRENT, CURRENT, later + 10 * 3600);
    expect(twoMails).toMatchObject({ mails: 2, current: { lost: 1, neverRetried: 1 } });
  });

  it('skips a mail whose first contact is not in the replayed range, and lets its triplet in as passed before', () => {
    expect(replayImpact(scanOf([[8, 100, RETRY], [8, 400, PASSED]]), CURRENT, CURRENT, NOW)).toMatchObject({ mails: 0, current: { delayed: 0, lost: 0 } });
    expect(replayImpact(scanOf([[8, 100, KNOWN], [8, 400, KNOWN]]), CURRENT, timing({ clientPrefixV4: 16 }), NOW)).toMatchObject({ mails: 2, current: { passedAtOnce: 2 }, proposed: { passedAtOnce: 2 } });
  });

  it('groups clients by the proposed prefixes: a retry from a sibling network passes under a wider grouping', () => {
    // One mail from a pool: a new /24 at every attempt, each recorded as the first contact of its triplet.
    const pool: Row[] = [[9, 0, FIRST, '198.51.100.7'], [9, 700, FIRST, '198.51.101.8'], [9, 2000, FIRST, '198.51.102.9']];
    const report = replayImpact(scanOf(pool), CURRENT, timing({ clientPrefixV4: 16 }), NOW);
    expect(report.mails).toBe(1);
    expect(report.current).toMatchObject({ delayed: 0, lost: 1 });
    expect(report.proposed).toMatchObject({ settings: { clientPrefixV4: 16 }, delayed: 1, addedDelayP50: 700, lost: 0 });
  });

  it('counts auto-allow as the engine does: first passes of distinct triplets, one an hour, per address or per network', () => {
    const rows: Row[] = [];
    for (let n = 0; n < 4; n++) rows.push([10 + n, n * 3600, FIRST, `192.0.2.${n + 1}`], [10 + n, n * 3600 + 600, PASSED, `192.0.2.${n + 1}`]);
    // Each address passed once: only counted by network do three passes auto-allow the fourth mail.
    expect(replayImpact(scanOf(rows), timing({ autoAllowAfter: 3 }), timing({ autoAllowAfter: 3, autoAllowBy: 'network' }), NOW)).toMatchObject({
      current: { delayed: 4, passedAtOnce: 0 },
      proposed: { delayed: 3, passedAtOnce: 1 },
    });
    // A known triplet's pass proves nothing: one address passing its triplet and then mailing on it never gets auto-allowed.
    const known: Row[] = [[20, 0, FIRST], [20, 600, PASSED], [20, 4200, KNOWN], [20, 7800, KNOWN], [21, 11_400, FIRST], [21, 12_000, PASSED]];
    expect(replayImpact(scanOf(known), timing({ autoAllowAfter: 2 }), timing({ autoAllowAfter: 1 }), 30_000)).toMatchObject({
      current: { delayed: 2, passedAtOnce: 2 },
      proposed: { delayed: 1, passedAtOnce: 3 },
    });
  });

  it('greylists only what the grey list matches under the grey-list-only mode', () => {
    const scan = scanOf([...exchange, ...honest]);
    const report = replayImpact(scan, CURRENT, timing({ mode: 'grey-list-only' }), NOW);
    expect(report.current).toMatchObject({ delayed: 1, lost: 1 });
    expect(report.proposed).toMatchObject({ delayed: 0, lost: 0, passedAtOnce: 3 });
    expect(MAIL_KIND.firstContact).toBe(FIRST);
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
