import { afterEach, describe, expect, it } from 'vitest';
import type { FilterStatus, Suspect } from '../shared/contract.js';
import { dispatch } from '../main/api/dispatch.js';
import { createHandlers } from '../main/api/handlers.js';
import { BackgroundInsight } from '../main/insight/background-insight.js';
import { findSuspects } from '../main/insight/suspects.js';
import { AdminQueries } from '../main/store/admin-queries.js';
import { filterOnTempDatabase } from './support/filter-world.js';
import { AT_RISK, retryNow, runTraffic, type Pattern, type PlantedSender, type TrafficOptions } from './support/traffic-generator.js';

const T0 = 1_800_000_000;
const HOUR = 3600;
const RETRY_WINDOW = 48 * HOUR;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const status: FilterStatus = { state: 'running', pid: 1, endpoints: {}, startedAt: T0, version: 'test', restarts: 0, message: '' };

/** The real filter on a temporary database and TCP, a clock the generator moves, and the administration's own connection. */
async function world() {
  const { db, admin, clock, running, endpoint } = await filterOnTempDatabase('greyward-insight-', T0, cleanups);
  // The window's way: the long reads on their own thread and connection.
  const insight = new BackgroundInsight(db);
  cleanups.push(() => insight.close());
  const handlers = createHandlers({ store: admin, queries: new AdminQueries(admin.db), supervisor: { status: () => status, restart: async () => status }, checker: running.service, insight, clock: () => clock.now });
  const call = async <T>(name: string, payload: unknown): Promise<T> => {
    const outcome = await dispatch(handlers, name, payload);
    if (!outcome.ok) throw new Error(`${name}: ${outcome.error.message} ${outcome.error.details?.join('; ') ?? ''}`);
    return outcome.value as T;
  };
  const suspects = (now = clock.now) => findSuspects({ db: admin.db, store: admin }, now, { all: true });
  const traffic = (over: Partial<TrafficOptions> = {}) =>
    runTraffic({ endpoint, clock, start: T0, settle: () => running.service.settle(), ...over });
  return { db, admin, clock, running, endpoint, call, suspects, traffic };
}

const keyOf = (s: { sender: string; recipient: string }) => `${s.sender} ${s.recipient}`;
const EXPECTED_PRIMARY: Partial<Record<Pattern, Suspect['primary']>> = {
  'early-then-gone': 'early-then-gone',
  'never-retried': 'never-retried',
  'pool-rotation': 'pool-rotation',
  'family-switch': 'family-switch',
  hammering: 'hammering',
};

describe('mail at risk, from real traffic through the filter', () => {
  it('finds every planted at-risk sender before its retry window ends, and never an honest one', async () => {
    const w = await world();
    const firstSeenAs = new Map<string, { at: number; primary: Suspect['primary'] }>();
    const honestFlagged: string[] = [];
    let planted: PlantedSender[] = [];
    const senders = await w.traffic({
      checkpoint: {
        every: HOUR,
        run: async (now) => {
          for (const suspect of await w.suspects(now)) {
            if (!firstSeenAs.has(keyOf(suspect))) firstSeenAs.set(keyOf(suspect), { at: now, primary: suspect.primary });
            if (suspect.sender.startsWith('news')) honestFlagged.push(`${keyOf(suspect)} at +${(now - T0) / HOUR} h: ${suspect.summary}`);
          }
        },
      },
    });
    planted = senders;
    expect(honestFlagged).toEqual([]);
    const honest = planted.filter((s) => s.pattern === 'honest');
    expect(honest.every((s) => s.passed)).toBe(true);

    for (const sender of planted.filter((s) => AT_RISK.includes(s.pattern))) {
      const seen = firstSeenAs.get(keyOf(sender));
      expect(seen, `${sender.pattern} ${keyOf(sender)} was never flagged`).toBeDefined();
      expect(seen!.primary, `${sender.pattern} ${keyOf(sender)}`).toBe(EXPECTED_PRIMARY[sender.pattern]);
      expect(seen!.at).toBeLessThan(sender.firstAt + RETRY_WINDOW);
    }
    expect(planted.filter((s) => s.pattern === 'early-then-gone').map((s) => s.sent.map((a) => a.at - s.firstAt))).toEqual(Array(5).fill([0, 5, 20]));

    // At the end of the day: the healed pools got through, and are not at risk any more.
    const final = await w.suspects();
    const finalKeys = new Set(final.map(keyOf));
    for (const healed of planted.filter((s) => s.pattern === 'pool-healed')) {
      expect(healed.passed).toBe(true);
      expect(firstSeenAs.get(keyOf(healed))?.primary).toBe('pool-rotation');
      expect(finalKeys.has(keyOf(healed))).toBe(false);
    }
    expect(final.filter((s) => s.secondsLeft > 0)).toHaveLength(AT_RISK.reduce((n, p) => n + planted.filter((s) => s.pattern === p).length, 0));

    // Legitimate mail at risk sorts above the spam-like patterns.
    const credibility = (patterns: Pattern[]) =>
      planted.filter((s) => patterns.includes(s.pattern)).map((s) => final.find((x) => keyOf(x) === keyOf(s))!.credibility);
    const legitimate = credibility(['early-then-gone', 'pool-rotation', 'family-switch']);
    const spamLike = credibility(['hammering', 'never-retried']);
    expect(Math.min(...legitimate)).toBeGreaterThan(Math.max(...spamLike));
    expect(final.slice(0, legitimate.length).every((s) => ['early-then-gone', 'pool-rotation', 'family-switch'].includes(s.primary))).toBe(true);

    const exchange = final.find((s) => s.primary === 'early-then-gone')!;
    expect(exchange.evidence.map((e) => [e.at - exchange.firstSeen, e.action, e.reason])).toEqual([
      [0, 'defer', 'new'],
      [5, 'defer', 'early'],
      [20, 'defer', 'early'],
    ]);
    expect(exchange.credibilityReasons.map((r) => r.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/forward-confirmed reverse name \(exchange\.corp\d\.example\)/), expect.stringMatching(/^it retried/)]),
    );
    expect(exchange.summary).toMatch(/^3 attempts over 20 s from 10\.2\.\d\.10 \[exchange\.corp\d\.example\], all deferred before the delay ran out; silent for \d+ h$/);
    const pool = final.find((s) => s.primary === 'pool-rotation')!;
    expect(pool.clientGroups).toHaveLength(3);
    expect(pool.credibilityReasons.map((r) => r.reason)).toContain('retried from 3 networks of one provider (mailhost.example)');
  });

  it('fixes: a dry run changes nothing; pass-now lets the next retry pass; allow-client-network lets the network in', async () => {
    const w = await world();
    const planted = await w.traffic({ mix: { honest: 2, 'early-then-gone': 2, 'never-retried': 0, 'pool-rotation': 1, 'family-switch': 0, hammering: 0, 'pool-healed': 0 }, spread: 2 * HOUR, until: T0 + 4 * HOUR });
    const listed = await w.call<Suspect[]>('suspects.list', {});
    const [first, second] = planted.filter((s) => s.pattern === 'early-then-gone').map((s) => listed.find((x) => keyOf(x) === keyOf(s))!);
    expect(first && second).toBeTruthy();

    const snapshot = () => JSON.stringify([w.admin.db.prepare('SELECT * FROM triplet_view ORDER BY id').all(), w.admin.db.prepare('SELECT * FROM list_entries ORDER BY id').all()]);
    const before = snapshot();
    for (const fix of ['pass-now', 'allow-client-network', 'allow-sender-domain'] as const) {
      const dry = await w.call<{ changes: string[]; applied: boolean }>('suspects.fix', { tripletIds: first!.tripletIds, fix, dryRun: true });
      expect(dry.applied).toBe(false);
      expect(dry.changes).toHaveLength(1);
    }
    const poolSuspect = listed.find((s) => s.primary === 'pool-rotation')!;
    const poolDry = await w.call<{ changes: string[] }>('suspects.fix', { tripletIds: poolSuspect.tripletIds, fix: 'allow-sender-domain', dryRun: true });
    expect(poolDry.changes).toEqual([`allow sender-domain-scoped ${poolSuspect.senderDomain} via pool.mailhost.example`]);
    expect(snapshot()).toBe(before);

    const passNow = await w.call<{ changes: string[]; applied: boolean }>('suspects.fix', { tripletIds: first!.tripletIds, fix: 'pass-now', dryRun: false });
    expect(passNow).toEqual({ applied: true, changes: [`pass triplet ${first!.clientGroups[0]} ${first!.sender} → ${first!.recipient} now: its next retry passes`] });
    const firstSender = planted.find((s) => keyOf(s) === keyOf(first!))!;
    w.clock.now += 60;
    expect(await retryNow(w.endpoint, firstSender)).toBe('DUNNO');

    const allow = await w.call<{ changes: string[]; applied: boolean }>('suspects.fix', { tripletIds: second!.tripletIds, fix: 'allow-client-network', dryRun: false });
    expect(allow).toEqual({ applied: true, changes: [`allow client-address ${second!.clientGroups[0]}`] });
    await w.running.service.reload();
    const secondSender = planted.find((s) => keyOf(s) === keyOf(second!))!;
    const sibling = { address: secondSender.clients[0]!.address.replace(/\.\d+$/, '.200'), name: 'unknown' };
    expect(await retryNow(w.endpoint, { ...secondSender, sender: 'someone-else@elsewhere.example' }, sibling)).toBe('DUNNO');
    await w.running.service.settle();
    expect(w.admin.db.prepare("SELECT reason, rule FROM attempt_view ORDER BY id DESC LIMIT 1").get()).toEqual({ reason: 'allow-list', rule: expect.stringMatching(new RegExp(`^allow client-address ${second!.clientGroups[0]!.replace(/\./g, '\\.')} `)) });
    expect((await w.call<{ changes: string[] }>('suspects.fix', { tripletIds: second!.tripletIds, fix: 'allow-sender-domain', dryRun: true })).changes).toEqual([]);

    const after = (await w.call<Suspect[]>('suspects.list', {})).map(keyOf);
    expect(after).not.toContain(keyOf(first!));
    expect(after).not.toContain(keyOf(second!));
    expect(after).toContain(keyOf(poolSuspect));
  });

  it('allow-sender-domain lets the domain in via its provider suffix or from its covering network, and no other sender from there', async () => {
    const w = await world();
    const [pool] = await w.traffic({ mix: { honest: 0, 'early-then-gone': 0, 'never-retried': 0, 'pool-rotation': 1, 'family-switch': 0, hammering: 0, 'pool-healed': 0 }, spread: HOUR, until: T0 + 2 * HOUR });
    // A pool without forward-confirmed names, retrying from three /24s of one /19.
    const unnamed: PlantedSender = { pattern: 'pool-rotation', sender: 'noreply@saasvendor.example', recipient: 'sales@example.net', firstAt: w.clock.now, clients: [], sent: [], passed: false };
    for (const address of ['10.200.4.9', '10.200.9.9', '10.200.17.9']) {
      w.clock.now += 700;
      expect(await retryNow(w.endpoint, unnamed, { address, name: 'unknown' })).toMatch(/^DEFER_IF_PERMIT/);
    }
    await w.running.service.settle();
    const listed = await w.call<Suspect[]>('suspects.list', { all: true });
    const named = listed.find((s) => keyOf(s) === keyOf(pool!))!;
    const saas = listed.find((s) => s.sender === unnamed.sender)!;
    expect(named.clientGroups).toHaveLength(3);
    expect(saas.clientGroups).toEqual(['10.200.4.0/24', '10.200.9.0/24', '10.200.17.0/24']);

    const fix = (suspect: Suspect, dryRun: boolean) => w.call<{ changes: string[]; applied: boolean }>('suspects.fix', { tripletIds: suspect.tripletIds, fix: 'allow-sender-domain', dryRun });
    expect(await fix(named, true)).toEqual({ applied: false, changes: [`allow sender-domain-scoped ${named.senderDomain} via pool.mailhost.example`] });
    expect(await fix(saas, true)).toEqual({ applied: false, changes: ['allow sender-domain-scoped saasvendor.example from 10.200.0.0/19'] });
    expect((await fix(named, false)).applied).toBe(true);
    expect((await fix(saas, false)).applied).toBe(true);
    expect((await fix(saas, true)).changes).toEqual([]);
    const entries = w.admin.db.prepare("SELECT kind, pattern, source FROM list_entries WHERE source = 'suspects' ORDER BY id").all();
    expect(entries).toEqual([
      { kind: 'sender-domain-scoped', pattern: `${named.senderDomain} via pool.mailhost.example`, source: 'suspects' },
      { kind: 'sender-domain-scoped', pattern: 'saasvendor.example from 10.200.0.0/19', source: 'suspects' },
    ]);
    await w.running.service.reload();

    // The next retries, from a host and a /24 not seen before, pass; another sender from the same client is greylisted.
    w.clock.now += 60;
    expect(await retryNow(w.endpoint, pool!, { address: '10.4.9.49', name: 'out9.pool.mailhost.example' })).toBe('DUNNO');
    expect(await retryNow(w.endpoint, { ...pool!, sender: 'spam@elsewhere.example' }, { address: '10.4.9.49', name: 'out9.pool.mailhost.example' })).toMatch(/^DEFER_IF_PERMIT/);
    expect(await retryNow(w.endpoint, pool!, { address: '10.4.9.49', name: 'unknown' })).toMatch(/^DEFER_IF_PERMIT/);
    expect(await retryNow(w.endpoint, unnamed, { address: '10.200.12.9', name: 'unknown' })).toBe('DUNNO');
    expect(await retryNow(w.endpoint, { ...unnamed, sender: 'spam@elsewhere.example' }, { address: '10.200.12.9', name: 'unknown' })).toMatch(/^DEFER_IF_PERMIT/);
    expect(await retryNow(w.endpoint, unnamed, { address: '10.200.32.9', name: 'unknown' })).toMatch(/^DEFER_IF_PERMIT/);
  });

  it('refuses a fix for triplets that do not exist, as data', async () => {
    const w = await world();
    await expect(w.call('suspects.fix', { tripletIds: [12345], fix: 'pass-now', dryRun: true })).rejects.toThrow(/none of these triplets exists/);
    await expect(w.call('suspects.fix', { tripletIds: [], fix: 'pass-now', dryRun: true })).rejects.toThrow(/invalid suspects.fix request/);
  });
});

describe('retry behaviour and impact preview, from real traffic', () => {
  it('shows the Exchange retries in the histogram, and fewer lost mails under a shorter delay', async () => {
    const w = await world();
    await w.traffic();
    const overall = await w.call<{ total: number; beforeDelay: number; delay: number; buckets: Array<{ from: number; count: number }> }>('insight.retryHistogram', {});
    expect(overall.delay).toBe(300);
    const corp = await w.call<typeof overall>('insight.retryHistogram', { domain: 'corp1.example' });
    // staff1@corp1.example retried at +5 s and +20 s; news1@corp1.example once after 5 to 30 minutes.
    expect(corp.buckets.filter((b) => b.count > 0).map((b) => [b.from, b.count])).toEqual([[5, 1], [10, 1], [expect.any(Number), 1]]);
    expect(corp).toMatchObject({ total: 3, beforeDelay: 2 });
    expect(overall.total).toBeGreaterThan(corp.total);
    expect((await w.call<typeof overall>('insight.retryHistogram', { domain: 'nobody.example' })).total).toBe(0);

    type Impact = { attempts: number; mails: number; current: Record<string, unknown>; proposed: Record<string, unknown> };
    // The Impact screen has the log copied ahead while a proposal is written; the replay is the same.
    expect(await w.call('insight.prepareImpact', {})).toEqual({ started: true });
    const impact = await w.call<Impact>('insight.impact', { settings: { delay: 20 } });
    // A mail is a sender and recipient from whichever client: a pool's three networks and a switch's two
    // families are one mail each, retried and never passed. Lost now: 5 early-then-gone, 4 pools, 3 switches,
    // 3 hammering senders; a 20 s delay lets the early and the hammering ones through.
    expect(impact.mails).toBe(20 + 5 + 5 + 4 + 3 + 3 + 2);
    expect(impact.current).toMatchObject({ delayed: 20 + 2, passedAtOnce: 0, lost: 15, neverRetried: 5, pending: 0 });
    expect(impact.proposed).toMatchObject({ settings: { delay: 20, retryWindow: RETRY_WINDOW, clientPrefixV4: 24 }, delayed: 22 + 8, lost: 7, neverRetried: 5 });
    expect(impact.attempts).toBe(w.admin.db.prepare('SELECT count(*) FROM attempts WHERE triplet_id IS NOT NULL').pluck().get());
  });

  it('replays client grouping: a /16 lets the pool-rotating senders through at their second attempt, from a sibling /24', async () => {
    const w = await world();
    const planted = await w.traffic();
    const pools = planted.filter((s) => s.pattern === 'pool-rotation');
    expect(pools.every((s) => !s.passed && new Set(s.sent.map((a) => a.address.split('.').slice(0, 3).join('.'))).size === 3)).toBe(true);
    type Outcome = { settings: Record<string, unknown>; delayed: number; lost: number; addedDelayP50: number | null };
    const impact = await w.call<{ current: Outcome; proposed: Outcome }>('insight.impact', { settings: { clientPrefixV4: 16 } });
    expect(impact.current).toMatchObject({ settings: { clientPrefixV4: 24, delay: 300 }, delayed: 22, lost: 15 });
    // The four pools are saved; the switches between IPv4 and IPv6 are not (another family, another group).
    expect(impact.proposed).toMatchObject({ settings: { clientPrefixV4: 16, clientPrefixV6: 64, delay: 300 }, delayed: 22 + 4, lost: 15 - 4 });
    // Their second attempts came 10 to 15 minutes after the first.
    const poolDelays = pools.map((s) => s.sent[1]!.at - s.firstAt);
    expect(Math.min(...poolDelays)).toBeGreaterThanOrEqual(600);

    // Grouping by the exact address loses nothing more here: every sender retried from its first address or from another /24.
    const exact = await w.call<{ current: Outcome; proposed: Outcome }>('insight.impact', { settings: { clientPrefixV4: 32, clientPrefixV6: 128 } });
    expect(exact.proposed).toMatchObject({ delayed: 22, lost: 15 });

    // Greylisting only what the grey list matches lets everything else in at once.
    await w.admin.addEntries([{ list: 'grey', kind: 'client-name', pattern: 'pool.mailhost.example', comment: '', source: 'test', expiresAt: null }], T0);
    const greyOnly = await w.call<{ current: Outcome; proposed: Outcome & { passedAtOnce: number } }>('insight.impact', { settings: { mode: 'grey-list-only' } });
    // Only the pools (named out0.pool.mailhost.example…) are still greylisted, and still lost.
    expect(greyOnly.proposed).toMatchObject({ settings: { mode: 'grey-list-only' }, delayed: 2, lost: 4, neverRetried: 0, passedAtOnce: 42 - 2 - 4 });
  });

  it('replays auto-allow: a client counted as passed lets its next mails in at once', async () => {
    const w = await world();
    await w.admin.setSetting('autoAllowAfter', 0, T0);
    await w.running.service.reload();
    // One relay sends eight mails an hour apart, each deferred once and passed at its retry ten minutes later.
    const relay = { address: '198.51.100.25', name: 'mail.relay.example' };
    for (let n = 0; n < 8; n++) {
      const mail = { sender: 'news@relay.example', recipient: `user${n}@example.net` } as PlantedSender;
      w.clock.now = T0 + n * HOUR;
      expect(await retryNow(w.endpoint, mail, relay)).toMatch(/^DEFER_IF_PERMIT/);
      w.clock.now += 600;
      expect(await retryNow(w.endpoint, mail, relay)).not.toMatch(/^DEFER/);
    }
    await w.running.service.settle();
    type Outcome = { delayed: number; passedAtOnce: number };
    // Now (auto-allow off) every mail is delayed; after 5 first passes, auto-allow would let the last 3 in at once.
    const impact = await w.call<{ mails: number; current: Outcome; proposed: Outcome }>('insight.impact', { settings: { autoAllowAfter: 5 } });
    expect(impact.mails).toBe(8);
    expect(impact.current).toMatchObject({ delayed: 8, passedAtOnce: 0 });
    expect(impact.proposed).toMatchObject({ delayed: 5, passedAtOnce: 3 });
  });
});
