import { describe, expect, it } from 'vitest';
import type { GreywardApi, Outcome, Suspect } from '../../shared/contract.js';
import { ALWAYS_OPEN } from '../api/connection.js';
import { createAppStore } from './store.js';

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
    secondsLeft: 30 * HOUR,
    summary: '',
    evidence: [],
    ...over,
  };
}

/** A store over a fake API whose answers the test releases one by one. */
function setup() {
  const calls: Array<{ name: string; payload: unknown; answer: (outcome: Outcome<unknown>) => void }> = [];
  const api = new Proxy({} as GreywardApi, {
    get: (_target, name) =>
      name === 'on'
        ? () => () => undefined
        : (payload: unknown) => new Promise<Outcome<unknown>>((answer) => calls.push({ name: String(name), payload, answer })),
  });
  const store = createAppStore({ api, connection: ALWAYS_OPEN, scheduleFrame: (callback) => callback() });
  const insight = () => store.getState().insight;
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { calls, insight, flush };
}

describe('the insight slice', () => {
  it('keeps the banner and the navigation count from the default list, and dismisses per suspect', async () => {
    const { calls, insight, flush } = setup();
    const load = insight().loadSuspects();
    expect(calls.map((c) => [c.name, c.payload])).toEqual([['suspects.list', { limit: 1000 }]]);
    calls[0]!.answer({ ok: true, value: [suspect(1, { secondsLeft: 2 * HOUR }), suspect(2), suspect(3, { secondsLeft: HOUR, credibility: 0.3 })] });
    await load;
    expect(insight().atRiskCount).toBe(3);
    expect(insight().aboutToBeLost.map((s) => s.id)).toEqual([1]);

    insight().dismissAlerts();
    expect(insight().dismissedAlerts.size).toBe(1);
    // Later 2 comes within 6 h too: it is not dismissed; 1 still is.
    const again = insight().loadSuspects();
    calls[1]!.answer({ ok: true, value: [suspect(1, { secondsLeft: HOUR }), suspect(2, { secondsLeft: 5 * HOUR })] });
    await again;
    await flush();
    const shown = insight().aboutToBeLost.filter((s) => !insight().dismissedAlerts.has(`${s.id}@${s.windowEndsAt}`));
    expect(shown.map((s) => s.id)).toEqual([2]);
  });

  it('keeps the newest answer when an older one comes late, and the selected suspect up to date', async () => {
    const { calls, insight } = setup();
    const first = insight().loadSuspects();
    insight().setShowAll(true);
    expect(calls[1]!.payload).toEqual({ all: true, limit: 1000 });
    // Until the answer comes, what is listed is not the show-all list yet, whatever the switch says.
    expect(insight().listedAll).toBe(false);
    calls[1]!.answer({ ok: true, value: [suspect(1), suspect(9, { secondsLeft: -HOUR })] });
    calls[0]!.answer({ ok: true, value: [suspect(1)] });
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(insight().suspects.data?.map((s) => s.id)).toEqual([1, 9]);
    expect(insight().listedAll).toBe(true);
    // The show-all list does not feed the banner.
    expect(insight().atRiskCount).toBeUndefined();

    insight().select(insight().suspects.data![1]);
    const reload = insight().loadSuspects();
    calls[2]!.answer({ ok: true, value: [suspect(9, { secondsLeft: -2 * HOUR, attempts: 4 })] });
    await reload;
    expect(insight().selected?.attempts).toBe(4);
  });

  it('plans a fix as a dry run, and applies it for real before reloading the list', async () => {
    const { calls, insight, flush } = setup();
    const target = suspect(4, { tripletIds: [4, 7] });
    const plan = insight().planFix(target, 'allow-client-network');
    expect(calls[0]).toMatchObject({ name: 'suspects.fix', payload: { tripletIds: [4, 7], fix: 'allow-client-network', dryRun: true } });
    calls[0]!.answer({ ok: true, value: { changes: ['allow client-address 192.0.2.0/24'], applied: false } });
    expect(await plan).toEqual({ ok: true, value: { changes: ['allow client-address 192.0.2.0/24'], applied: false } });

    const apply = insight().applyFix(target, 'allow-client-network');
    expect(calls[1]).toMatchObject({ payload: { dryRun: false } });
    calls[1]!.answer({ ok: false, error: { message: 'database is locked' } });
    expect(await apply).toEqual({ ok: false, error: { message: 'database is locked' } });
    expect(calls).toHaveLength(2); // a failed fix does not reload

    const retry = insight().applyFix(target, 'allow-client-network');
    calls[2]!.answer({ ok: true, value: { changes: ['allow client-address 192.0.2.0/24'], applied: true } });
    await retry;
    await flush();
    expect(calls[3]!.name).toBe('suspects.list');
  });

  it('searches the attempt log only for a query, and fills the simulator from a mail', async () => {
    const { calls, insight } = setup();
    insight().setTraceQuery('   ');
    expect(calls).toEqual([]);
    insight().traceMail({ sender: 'a@example.com', recipient: 'b@example.net', clientAddress: '192.0.2.7', clientName: 'unknown' });
    expect(calls.map((c) => [c.name, c.payload])).toEqual([['attempts.search', { query: 'a@example.com', limit: 1000 }]]);
    expect(insight().simulatorForm).toEqual({ clientAddress: '192.0.2.7', clientName: '', sender: 'a@example.com', recipient: 'b@example.net' });
  });
});
