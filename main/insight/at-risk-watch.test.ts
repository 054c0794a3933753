import { describe, expect, it } from 'vitest';
import type { Suspect } from '../../shared/insight-contract.js';
import { startAtRiskWatch, type AtRiskAlert } from './at-risk-watch.js';

const HOUR = 3600;

function suspect(id: number, over: Partial<Suspect> = {}): Suspect {
  return {
    id,
    tripletIds: [id],
    sender: `staff${id}@corp${id}.example`,
    recipient: 'hr@example.net',
    senderDomain: `corp${id}.example`,
    primary: 'early-then-gone',
    classes: ['early-then-gone'],
    credibility: 0.85,
    credibilityReasons: [],
    clientGroups: ['192.0.2.0/24'],
    firstSeen: 1_800_000_000,
    lastSeen: 1_800_000_020,
    attempts: 3,
    windowEndsAt: 1_800_172_800 + id,
    secondsLeft: 5 * HOUR,
    summary: '',
    evidence: [],
    ...over,
  };
}

/** A watch whose timer only fires when the test says so, over a list the test sets. */
function setup() {
  const state = { suspects: [] as Suspect[], fail: false, intervals: [] as Array<() => void>, cleared: 0 };
  const alerts: AtRiskAlert[] = [];
  const errors: Error[] = [];
  const watch = startAtRiskWatch({
    list: async () => {
      if (state.fail) throw new Error('database is locked');
      return state.suspects;
    },
    alert: (alert) => alerts.push(alert),
    onError: (error) => errors.push(error),
    timers: {
      setInterval: (callback, ms) => {
        expect(ms).toBe(60_000);
        state.intervals.push(callback);
        return state.intervals.length;
      },
      clearInterval: () => void state.cleared++,
    },
  });
  return { state, alerts, errors, watch };
}

describe('the at-risk watch behind the OS notification', () => {
  it('alerts about credible mail whose window closes within 6 h, once per suspect', async () => {
    const { state, alerts, watch } = setup();
    await watch.check(); // the first look, at start, found nothing
    state.suspects = [
      suspect(1),
      suspect(2, { credibility: 0.4 }), // spam-like: never an alert
      suspect(3, { secondsLeft: 20 * HOUR }), // not soon yet
      suspect(4, { secondsLeft: -HOUR }), // already lost
    ];
    const first = await watch.check();
    expect(first?.suspects.map((s) => s.id)).toEqual([1]);
    expect(first?.title).toBe('Greyward: mail about to be lost');
    expect(first?.body).toContain('staff1@corp1.example → hr@example.net: its retry window closes in 5 h');

    // A minute later the same suspect is still there: no second notification.
    state.suspects = [suspect(1, { secondsLeft: 5 * HOUR - 60 }), suspect(3, { secondsLeft: 20 * HOUR - 60 })];
    expect(await watch.check()).toBeUndefined();

    // Hours later 3 comes within 6 h: only 3 is new.
    state.suspects = [suspect(1, { secondsLeft: HOUR }), suspect(3, { secondsLeft: 5 * HOUR })];
    expect((await watch.check())?.suspects.map((s) => s.id)).toEqual([3]);
    expect(alerts).toHaveLength(2);
    watch.stop();
  });

  it('names several fresh suspects in one notification', async () => {
    const { state, alerts, watch } = setup();
    await watch.check(); // the look at start
    state.suspects = [suspect(1, { secondsLeft: 3 * HOUR }), suspect(2, { secondsLeft: HOUR }), suspect(3, { secondsLeft: 2 * HOUR })];
    await watch.check();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.title).toBe('Greyward: 3 mails about to be lost');
    expect(alerts[0]!.body).toMatch(/^staff2@corp2\.example → hr@example\.net; staff3@corp3\.example → hr@example\.net and 1 more\. The first window closes in 1 h\./);
    watch.stop();
  });

  it('runs on its timer, and alerts again for a suspect that left the list and came back', async () => {
    const { state, alerts, watch } = setup();
    await watch.check(); // the look at start
    state.suspects = [suspect(1)];
    state.intervals[0]!();
    await watch.check(); // the same look the timer started

    expect(alerts).toHaveLength(1);
    state.suspects = [];
    await watch.check();
    state.suspects = [suspect(1)];
    await watch.check();
    expect(alerts).toHaveLength(2);
    watch.stop();
    expect(state.cleared).toBe(1);
  });

  it('reports a failed look and tries again at the next interval', async () => {
    const { state, alerts, errors, watch } = setup();
    await watch.check();
    state.fail = true;
    state.suspects = [suspect(1)];
    expect(await watch.check()).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['database is locked']);
    state.fail = false;
    await watch.check();
    expect(alerts).toHaveLength(1);
    watch.stop();
  });

  it('does not stack looks while one is still running', async () => {
    let calls = 0;
    let release!: (suspects: Suspect[]) => void;
    const watch = startAtRiskWatch({
      list: () => {
        calls++;
        return new Promise((resolve) => (release = resolve));
      },
      alert: () => undefined,
      timers: { setInterval: () => 0, clearInterval: () => undefined },
    });
    const a = watch.check();
    const b = watch.check();
    expect(calls).toBe(1);
    release([]);
    await Promise.all([a, b]);
    watch.stop();
  });

  it('skips its turns while the last look was costly: at most a tenth of the time', async () => {
    let clock = 0;
    let calls = 0;
    const ticks: Array<() => void> = [];
    const watch = startAtRiskWatch({
      list: async () => {
        calls++;
        clock += 10_000; // a look over a big log takes 10 s
        return [];
      },
      alert: () => undefined,
      now: () => clock,
      timers: { setInterval: (callback) => ticks.push(callback), clearInterval: () => undefined },
    });
    const tickAt = async (at: number) => {
      clock = at;
      ticks[0]!();
      await new Promise((resolve) => setTimeout(resolve, 0)); // the look it started, if any, has ended
    };
    await watch.check(); // the look at start, 0 → 10 s: the next not before 10 + 9 × 10 = 100 s
    await tickAt(60_000);
    expect(calls).toBe(1);
    await tickAt(100_000); // 100 → 110 s: the next not before 200 s
    expect(calls).toBe(2);
    await tickAt(160_000);
    expect(calls).toBe(2);
    await tickAt(200_000);
    expect(calls).toBe(3);
    watch.stop();
  });
});
