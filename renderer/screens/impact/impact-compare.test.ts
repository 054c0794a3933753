import { describe, expect, it } from 'vitest';
import type { ReplayOutcome } from '../../../shared/insight-contract.js';
import { compareImpact, describeTiming, headline } from './impact-compare.js';

const SETTINGS = { delay: 300, retryWindow: 172_800, clientPrefixV4: 24, clientPrefixV6: 64, autoAllowAfter: 5, autoAllowBy: 'address', mode: 'everyone' } as const;
const outcome = (over: Partial<ReplayOutcome>): ReplayOutcome => ({
  settings: SETTINGS,
  delayed: 100,
  passedAtOnce: 40,
  addedDelayP50: 420,
  addedDelayP95: 1500,
  lost: 6,
  neverRetried: 9,
  pending: 2,
  ...over,
});

describe('the impact comparison', () => {
  it('puts current and proposed side by side, with the change and its direction', () => {
    const rows = compareImpact({ current: outcome({}), proposed: outcome({ settings: { ...SETTINGS, delay: 3 }, delayed: 105, addedDelayP50: 60, addedDelayP95: 1500, lost: 1 }) });
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    expect(rows[0]!.key).toBe('lost');
    expect(byKey.lost).toMatchObject({ current: '6', proposed: '1', change: '−5', verdict: 'better' });
    expect(byKey.delayed).toMatchObject({ current: '100', proposed: '105', change: '+5', verdict: 'neutral' });
    expect(byKey.addedDelayP50).toMatchObject({ current: '7m', proposed: '1m', change: '−6m', verdict: 'better' });
    expect(byKey.addedDelayP95).toMatchObject({ change: '', verdict: 'same' });
    expect(byKey.neverRetried).toMatchObject({ current: '9', proposed: '9', verdict: 'same' });
  });

  it('says worse where the proposal loses more, and — where nothing passed', () => {
    const rows = compareImpact({ current: outcome({}), proposed: outcome({ lost: 8, delayed: 0, addedDelayP50: null, addedDelayP95: null, neverRetried: 7 }) });
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
    expect(byKey.lost).toMatchObject({ change: '+2', verdict: 'worse' });
    expect(byKey.addedDelayP50).toMatchObject({ proposed: '—', change: '', verdict: 'same' });
    expect(byKey.neverRetried).toMatchObject({ change: '−2', verdict: 'worse' });
  });

  it('sums it up in a sentence, and names each column\'s settings', () => {
    expect(headline({ mails: 120, current: outcome({}), proposed: outcome({ lost: 1, addedDelayP95: 900 }) })).toBe(
      'On the recorded traffic, the proposal means 5 fewer mails lost, 95% of delayed mail waiting at most 15m instead of 25m.',
    );
    expect(headline({ mails: 120, current: outcome({}), proposed: outcome({ lost: 7 }) })).toBe('On the recorded traffic, the proposal means 1 more mail lost.');
    expect(headline({ mails: 0, current: outcome({}), proposed: outcome({}) })).toMatch(/no greylisted mail/);
    expect(describeTiming(SETTINGS)).toBe('delay 5m, retry window 2d');
    // The settings that differ from the other column are named too.
    const wider = { ...SETTINGS, clientPrefixV4: 16, autoAllowBy: 'network' as const };
    expect(describeTiming(wider, SETTINGS)).toBe('delay 5m, retry window 2d, IPv4 clients grouped by /16, counted per client network');
    expect(describeTiming(SETTINGS, wider)).toBe('delay 5m, retry window 2d, IPv4 clients grouped by /24, counted per client address');
    expect(describeTiming({ ...SETTINGS, autoAllowAfter: 0, mode: 'grey-list-only' }, { ...SETTINGS, autoAllowAfter: 0 })).toBe('delay 5m, retry window 2d, only the grey list greylisted');
  });
});
