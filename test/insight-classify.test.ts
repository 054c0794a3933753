import { describe, expect, it } from 'vitest';
import { CLASSIFICATION_RULES, classify, type ClassifyInput } from '../main/insight/classify.js';
import { CREDIBILITY_WEIGHTS } from '../main/insight/credibility.js';
import { isWorthShowing } from '../main/insight/suspects.js';
import type { WaitingAttemptRow, WaitingTripletRow } from '../main/store/insight-queries.js';

const NOW = 1_800_100_000;
const SETTINGS = { delay: 300, retryWindow: 172_800 };

interface Attempt {
  /** Seconds before NOW. */
  ago: number;
  address?: string;
  name?: string;
}

/** Rows as the store returns them: one triplet per client group, its attempts in order. */
function log(mails: Array<{ sender: string; recipient?: string; attempts: Attempt[] }>): Pick<ClassifyInput, 'triplets' | 'attempts'> {
  const triplets: WaitingTripletRow[] = [];
  const attempts: WaitingAttemptRow[] = [];
  for (const mail of mails) {
    const recipient = mail.recipient ?? 'bob@example.net';
    const byGroup = new Map<string, Attempt[]>();
    for (const attempt of mail.attempts) {
      const address = attempt.address ?? '192.0.2.7';
      const group = address.includes(':') ? `${address.split(':').slice(0, 4).join(':')}::/64` : `${address.split('.').slice(0, 3).join('.')}.0/24`;
      byGroup.set(group, [...(byGroup.get(group) ?? []), attempt]);
    }
    for (const [clientGroup, rows] of byGroup) {
      const id = triplets.length + 1;
      const times = rows.map((r) => NOW - r.ago).sort((a, b) => a - b);
      triplets.push({ id, clientGroup, sender: mail.sender, recipient, firstSeen: times[0]!, lastSeen: times.at(-1)!, attempts: rows.length, earlyAttempts: 0 });
      rows
        .sort((a, b) => b.ago - a.ago)
        .forEach((row, i) =>
          attempts.push({
            tripletId: id,
            at: NOW - row.ago,
            clientAddress: row.address ?? '192.0.2.7',
            clientName: row.name ?? 'unknown',
            sender: mail.sender,
            recipient,
            action: 'defer',
            reason: i === 0 ? 'new' : 'early',
          }),
        );
    }
  }
  return { triplets, attempts };
}

const run = (rows: Pick<ClassifyInput, 'triplets' | 'attempts'>, over: Partial<ClassifyInput> = {}) => classify({ ...rows, settings: SETTINGS, now: NOW, ...over });
const classesOf = (attempts: Attempt[]) => run(log([{ sender: 'a@example.com', attempts }]))[0]?.classes ?? [];

describe('classification rules', () => {
  const gone = CLASSIFICATION_RULES.goneAfter(SETTINGS.delay);

  it('early-then-gone: retries only before the delay, then silence of max(2 × delay, 15 min)', () => {
    expect(gone).toBe(900);
    const exchange = (silence: number) => [{ ago: silence + 20 }, { ago: silence + 15 }, { ago: silence }];
    expect(classesOf(exchange(gone))).toEqual(['early-then-gone']);
    expect(classesOf(exchange(gone - 1))).toEqual([]);
    expect(CLASSIFICATION_RULES.goneAfter(3600)).toBe(7200);
  });

  it('judges retries by the delay in force when they came: a mail deferred under a longer delay stays early-then-gone after the delay is shortened', () => {
    // Retries 7 and 9 minutes after the first attempt, deferred under a 10 minute delay, then silence; the delay is 5 minutes now.
    const deferredUnderLongerDelay = [{ ago: 9 * 3600 + 540 }, { ago: 9 * 3600 + 120 }, { ago: 9 * 3600 }];
    const [suspect] = run(log([{ sender: 'a@example.com', attempts: deferredUnderLongerDelay }]), { settings: { delay: 300, retryWindow: 172_800 } });
    expect(suspect?.classes).toEqual(['early-then-gone']);
    expect(suspect?.summary).toMatch(/^3 attempts over 9 min from 192\.0\.2\.7 \[unknown\], all deferred before the delay ran out; silent for 9 h$/);
  });

  it('never-retried: one attempt and an hour of silence', () => {
    expect(classesOf([{ ago: 3600 }])).toEqual(['never-retried']);
    expect(classesOf([{ ago: 3599 }])).toEqual([]);
  });

  it('hammering: five retries inside the delay, or three with a median gap under 30 s; two quick Exchange retries are not', () => {
    const every = (gap: number, count: number, silence = 0) => Array.from({ length: count }, (_, i) => ({ ago: silence + (count - 1 - i) * gap }));
    expect(classesOf(every(50, 6))).toEqual(['hammering']);
    expect(classesOf(every(50, 5))).toEqual([]);
    expect(classesOf(every(10, 4))).toEqual(['hammering']);
    expect(classesOf(every(30, 4))).toEqual([]);
    expect(classesOf(every(10, 4, gone))).toEqual(['hammering', 'early-then-gone']);
    expect(classesOf([{ ago: 4000 }, { ago: 3995 }, { ago: 3980 }])).toEqual(['early-then-gone']);
  });

  it('pool-rotation and family-switch: the same mail deferred on other networks, or over the other IP family', () => {
    expect(classesOf([{ ago: 100, address: '192.0.2.7' }, { ago: 50, address: '198.51.100.7' }])).toEqual(['pool-rotation']);
    expect(classesOf([{ ago: 100, address: '192.0.2.7' }, { ago: 50, address: '2001:db8:1:2::7' }])).toEqual(['family-switch']);
    expect(classesOf([{ ago: 100, address: '192.0.2.7' }, { ago: 80, address: '198.51.100.7' }, { ago: 50, address: '2001:db8:1:2::7' }])).toEqual(['pool-rotation', 'family-switch']);
    // Other networks more than a retry window apart are separate mails.
    expect(classesOf([{ ago: 200_000, address: '192.0.2.7' }, { ago: 20_000, address: '198.51.100.7' }])).toEqual([]);
    expect(classesOf([{ ago: 200_000, address: '192.0.2.7' }, { ago: 20_000, address: '2001:db8:1:2::7' }])).toEqual([]);
  });

  it('a sender still inside its normal retry interval is no suspect', () => {
    expect(classesOf([{ ago: 1200 }])).toEqual([]);
    expect(classesOf([{ ago: 400 }, { ago: 200 }])).toEqual([]);
  });
});

describe('exclusions, credibility and order', () => {
  const pool = { sender: 'billing@brand.example', attempts: [{ ago: 3000, address: '192.0.2.7', name: 'out1.pool.example' }, { ago: 2000, address: '198.51.100.7', name: 'out2.pool.example' }] };

  it('leaves out a mail that got through from another network after it started, or that the lists now let through', () => {
    const rows = log([pool]);
    expect(run(rows)).toHaveLength(1);
    const passed = (lastSeen: number) => ({ passedSameMail: [{ sender: pool.sender, recipient: 'bob@example.net', clientGroup: '203.0.113.0/24', lastSeen }], domainPassedNetworks: new Map() });
    expect(run(rows, { history: passed(NOW - 100) })).toEqual([]);
    expect(run(rows, { history: passed(NOW - 5000) })).toHaveLength(1);
    expect(run(rows, { wouldPass: (attempt) => attempt.clientAddress === '198.51.100.7' })).toEqual([]);
  });

  it('scores what the log shows, and sorts legitimate mail at risk first', () => {
    const w = CREDIBILITY_WEIGHTS;
    const rows = log([
      { sender: 'spam@junk.example', attempts: [{ ago: 7200 }] },
      { sender: 'staff@corp.example', recipient: 'x@example.net', attempts: [{ ago: 2000, name: 'exchange.corp.example' }, { ago: 1995, name: 'exchange.corp.example' }] },
      pool,
    ]);
    const history = { passedSameMail: [], domainPassedNetworks: new Map([['corp.example', 2]]) };
    const [first, second, third] = run(rows, { history });
    expect(first).toMatchObject({ sender: 'staff@corp.example', primary: 'early-then-gone', credibility: 1 });
    expect(first!.credibilityReasons.map((r) => r.weight)).toEqual([w.domainPassedBefore, w.verifiedClientName, w.retried, w.clientInSenderDomain]);
    expect(second).toMatchObject({ sender: pool.sender, primary: 'pool-rotation', credibility: expect.closeTo(w.base + w.verifiedClientName + w.retried + w.poolOfOneProvider, 5) });
    expect(third).toMatchObject({ sender: 'spam@junk.example', primary: 'never-retried', credibility: Math.round((w.base + w.neverRetried) * 100) / 100 });
    expect(third!.credibilityReasons).toEqual([{ weight: w.neverRetried, reason: 'never retried, as most spam' }]);
  });

  it('gives the time left in the window, and puts closed windows last', () => {
    const rows = log([{ sender: 'old@example.com', attempts: [{ ago: SETTINGS.retryWindow + 600, name: 'mx.example.com' }] }, { sender: 'new@example.com', attempts: [{ ago: 3600 }] }]);
    const [open, closed] = run(rows);
    expect(open).toMatchObject({ sender: 'new@example.com', secondsLeft: SETTINGS.retryWindow - 3600, windowEndsAt: NOW - 3600 + SETTINGS.retryWindow });
    expect(closed).toMatchObject({ sender: 'old@example.com', secondsLeft: -600 });
    expect(isWorthShowing(closed!)).toBe(false);
    expect(isWorthShowing(open!)).toBe(false);
    expect(isWorthShowing({ ...open!, credibility: 0.5 })).toBe(true);
  });
});
