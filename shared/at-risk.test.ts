import { describe, expect, it } from 'vitest';
import { alertKey, alertText, isAboutToBeLost, newlyAboutToBeLost, type AlertSuspect } from './at-risk.js';

const HOUR = 3600;
const suspect = (id: number, over: Partial<AlertSuspect> = {}): AlertSuspect => ({
  id,
  sender: `staff${id}@corp.example`,
  recipient: 'hr@example.net',
  credibility: 0.8,
  secondsLeft: 2 * HOUR,
  windowEndsAt: 1_800_000_000 + id,
  ...over,
});

describe('mail about to be lost', () => {
  it('is credible (≥ 0.6) with its window open and closing within 6 h', () => {
    expect(isAboutToBeLost({ credibility: 0.6, secondsLeft: 6 * HOUR - 1 })).toBe(true);
    expect(isAboutToBeLost({ credibility: 0.59, secondsLeft: HOUR })).toBe(false);
    expect(isAboutToBeLost({ credibility: 0.9, secondsLeft: 6 * HOUR })).toBe(false);
    expect(isAboutToBeLost({ credibility: 0.9, secondsLeft: 0 })).toBe(false);
    expect(isAboutToBeLost({ credibility: 0.9, secondsLeft: -60 })).toBe(false);
  });

  it('alerts about each suspect once, and forgets the ones no longer about to be lost', () => {
    const first = newlyAboutToBeLost([suspect(1), suspect(2, { credibility: 0.3 }), suspect(3, { secondsLeft: 30 * HOUR })], new Set());
    expect(first.fresh.map((s) => s.id)).toEqual([1]);
    expect([...first.remember]).toEqual([alertKey(suspect(1))]);

    // A minute later: 1 again (not fresh), 3 now within 6 h (fresh).
    const second = newlyAboutToBeLost([suspect(1, { secondsLeft: 2 * HOUR - 60 }), suspect(3, { secondsLeft: 5 * HOUR })], first.remember);
    expect(second.fresh.map((s) => s.id)).toEqual([3]);
    expect(second.remember.size).toBe(2);

    // 1 was fixed (gone from the list): forgotten, so the set does not grow.
    const third = newlyAboutToBeLost([suspect(3, { secondsLeft: 5 * HOUR - 60 })], second.remember);
    expect(third.fresh).toEqual([]);
    expect([...third.remember]).toEqual([alertKey(suspect(3))]);
  });

  it('alerts again when the same mail starts a new round (a later window)', () => {
    const { remember } = newlyAboutToBeLost([suspect(1)], new Set());
    expect(newlyAboutToBeLost([suspect(1, { windowEndsAt: 1_800_200_000 })], remember).fresh).toHaveLength(1);
  });

  it('names the mail and the time left, soonest first', () => {
    expect(alertText([suspect(1, { secondsLeft: 2 * HOUR + 5 * 60 })])).toEqual({
      title: 'Greyward: mail about to be lost',
      body: 'staff1@corp.example → hr@example.net: its retry window closes in 2 h 5 min. Open "At risk" to let it through.',
    });
    const many = alertText([suspect(1, { secondsLeft: 3 * HOUR }), suspect(2, { secondsLeft: 40 * 60 }), suspect(3, { sender: '' })]);
    expect(many.title).toBe('Greyward: 3 mails about to be lost');
    expect(many.body).toBe('staff2@corp.example → hr@example.net; <> → hr@example.net and 1 more. The first window closes in 40 min. Open "At risk" to let them through.');
    expect(alertText([])).toEqual({ title: '', body: '' });
  });
});
