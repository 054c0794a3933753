import { describe, expect, it } from 'vitest';
import type { ListEntry, ListKind, ListName } from '../../shared/lists.js';
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings.js';
import type { ClientPasses, TripletState } from '../store/greylist-store.js';
import { autoAllowClient, decide, greylistKey, type Decision, type PolicyQuestion } from './engine.js';
import { ListMatcher } from './list-matcher.js';

const T0 = 1_800_000_000;

function entry(list: ListName, kind: ListKind, pattern: string, extra: Partial<ListEntry> = {}): ListEntry {
  return { id: 1, list, kind, pattern, comment: '', source: 'test', createdAt: T0, expiresAt: null, hits: 0, lastHitAt: null, ...extra };
}

/** A greylist whose state lives in maps, advanced by applying each decision, like the filter does. */
function greylist(settings: Partial<Settings> = {}, entries: ListEntry[] = []) {
  const triplets = new Map<string, TripletState>();
  const clients = new Map<string, ClientPasses>();
  const policy = { settings: { ...DEFAULT_SETTINGS, ...settings }, lists: new ListMatcher(entries), productVersion: '9.9.9' };
  return {
    triplets,
    ask(question: Partial<PolicyQuestion>, now: number): Decision {
      const q: PolicyQuestion = {
        protocolState: 'RCPT',
        clientAddress: '192.0.2.10',
        clientName: 'mail.example.com',
        sender: 'alice@example.com',
        recipient: 'bob@example.net',
        ...question,
      };
      const key = greylistKey(q, policy.settings);
      const id = JSON.stringify(key);
      const decision = decide(q, policy, { triplet: triplets.get(id), clientPasses: clients.get(autoAllowClient(q, policy.settings)) }, now);
      if (decision.triplet) triplets.set(id, decision.triplet);
      if (decision.clientPasses) clients.set(decision.clientPasses.client, decision.clientPasses);
      return decision;
    },
  };
}

describe('triplet state', () => {
  it('defers a new triplet with the templated reply and lets a retry after the delay pass with a header', () => {
    const g = greylist();
    const first = g.ask({}, T0);
    expect(first).toMatchObject({ action: 'defer', reason: 'new', delay: 300 });
    expect(first.reply).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');
    const retry = g.ask({}, T0 + 301);
    expect(retry).toMatchObject({ action: 'pass', reason: 'passed', delay: 301 });
    expect(retry.reply).toMatch(/^PREPEND X-Greylist: delayed 301 seconds by Greyward-9\.9\.9; /);
  });

  it('counts an early retry and tells the seconds that are left', () => {
    const g = greylist();
    g.ask({}, T0);
    const early = g.ask({}, T0 + 20);
    expect(early).toMatchObject({ action: 'defer', reason: 'early', delay: 280 });
    expect(early.reply).toContain('try again in 280 seconds');
    expect(early.triplet).toMatchObject({ attempts: 2, earlyAttempts: 1, firstSeen: T0 });
  });

  it('passes a retry at exactly the delay', () => {
    const g = greylist();
    g.ask({}, T0);
    expect(g.ask({}, T0 + 300).action).toBe('pass');
  });

  it('starts over when the retry comes after the retry window', () => {
    const g = greylist({ retryWindow: 3600 });
    g.ask({}, T0);
    const late = g.ask({}, T0 + 3601);
    expect(late).toMatchObject({ action: 'defer', reason: 'window-expired' });
    expect(late.triplet).toMatchObject({ firstSeen: T0 + 3601, attempts: 1 });
  });

  it('remembers a passed triplet for the max age, then starts over', () => {
    const g = greylist({ maxAge: 86_400 * 2 });
    g.ask({}, T0);
    g.ask({}, T0 + 400);
    const known = g.ask({}, T0 + 86_400);
    expect(known).toMatchObject({ action: 'pass', reason: 'known', reply: 'DUNNO' });
    expect(g.ask({}, T0 + 86_400 * 4)).toMatchObject({ action: 'defer', reason: 'max-age-expired' });
  });

  it('leaves out the header when passHeader is off', () => {
    const g = greylist({ passHeader: false });
    g.ask({}, T0);
    expect(g.ask({}, T0 + 300).reply).toBe('DUNNO');
  });

  it('fills every placeholder of the reply template', () => {
    const g = greylist({ deferReply: 'wait {seconds}s of {delay} for {recipient} from {sender} at {client} {unknown}' });
    expect(g.ask({ sender: '' }, T0).reply).toBe('DEFER_IF_PERMIT 4.7.1 wait 300s of 300 for bob@example.net from <> at 192.0.2.10 {unknown}');
  });

  it('answers DUNNO outside the RCPT stage and keeps no state', () => {
    const g = greylist();
    expect(g.ask({ protocolState: 'DATA' }, T0)).toMatchObject({ action: 'allow', reason: 'not-rcpt-stage', reply: 'DUNNO' });
    expect(g.triplets.size).toBe(0);
  });
});

describe('client grouping and sender normalisation', () => {
  it('lets a retry from a sibling address of the same /24 pass', () => {
    const g = greylist();
    g.ask({ clientAddress: '192.0.2.10' }, T0);
    expect(g.ask({ clientAddress: '192.0.2.99' }, T0 + 300).action).toBe('pass');
    expect(g.ask({ clientAddress: '198.51.100.1' }, T0 + 300).reason).toBe('new');
  });

  it('groups IPv6 by /64 by default', () => {
    const g = greylist();
    g.ask({ clientAddress: '2001:db8:1:2::25' }, T0);
    expect(g.ask({ clientAddress: '2001:db8:1:2:ffff::1' }, T0 + 300).action).toBe('pass');
    expect(g.ask({ clientAddress: '2001:db8:1:3::25' }, T0 + 300).reason).toBe('new');
  });

  it('keys exact addresses with prefixes 32 and 128', () => {
    const g = greylist({ clientPrefixV4: 32, clientPrefixV6: 128 });
    g.ask({ clientAddress: '192.0.2.10' }, T0);
    expect(g.ask({ clientAddress: '192.0.2.11' }, T0 + 300).reason).toBe('new');
    expect(greylistKey({ protocolState: 'RCPT', clientAddress: '2001:db8::1', clientName: '', sender: '', recipient: 'a@b' }, { ...DEFAULT_SETTINGS, clientPrefixV6: 128 }).clientGroup).toBe('2001:db8::1');
  });

  it('treats VERP and +ext variants of one sender as one triplet, unless normalisation is off', () => {
    const g = greylist();
    g.ask({ sender: 'bounce-1234-list+x@lists.example.org' }, T0);
    expect(g.ask({ sender: 'Bounce-9876-list+y@LISTS.example.org' }, T0 + 300).action).toBe('pass');
    const raw = greylist({ normaliseSender: false });
    raw.ask({ sender: 'bounce-1234@lists.example.org' }, T0);
    expect(raw.ask({ sender: 'bounce-9876@lists.example.org' }, T0 + 300).reason).toBe('new');
  });

  it('greylists bounces (empty sender) by their recipient', () => {
    const g = greylist();
    const first = g.ask({ sender: '' }, T0);
    expect(first).toMatchObject({ action: 'defer', tripletKey: { sender: '<>' } });
    expect(g.ask({ sender: '' }, T0 + 300).action).toBe('pass');
  });
});

describe('decision order', () => {
  const client = '192.0.2.10';
  it('rejects a deny-listed sender before anything else, even an allow-listed client', () => {
    const g = greylist({}, [entry('deny', 'sender-domain', 'example.com', { id: 7 }), entry('allow', 'client-address', '192.0.2.0/24', { id: 8 })]);
    const decision = g.ask({ clientAddress: client }, T0);
    expect(decision).toMatchObject({ action: 'reject', reason: 'deny-list', reply: 'REJECT 5.7.1 Rejected by local policy' });
    expect(decision.rule).toBe('deny sender-domain example.com (#7)');
  });

  it('lets an allow-listed client pass at once, without a triplet', () => {
    const g = greylist({}, [entry('allow', 'client-address', '192.0.2.0/24')]);
    expect(g.ask({ clientAddress: client }, T0)).toMatchObject({ action: 'allow', reason: 'allow-list', reply: 'DUNNO' });
    expect(g.triplets.size).toBe(0);
  });

  it('ignores an expired allow entry', () => {
    const g = greylist({}, [entry('allow', 'client-address', '192.0.2.0/24', { expiresAt: T0 - 1 })]);
    expect(g.ask({ clientAddress: client }, T0).action).toBe('defer');
  });

  it('auto-allows a client after N passes counted at most once an hour', () => {
    const g = greylist({ autoAllowAfter: 2 });
    const send = (n: number, at: number) => g.ask({ recipient: `user${n}@example.net` }, at);
    send(1, T0);
    expect(send(1, T0 + 300).action).toBe('pass');
    send(2, T0 + 400);
    expect(send(2, T0 + 700).action).toBe('pass'); // same hour: still one counted pass
    expect(send(3, T0 + 800).reason).toBe('new');
    send(4, T0 + 4000);
    expect(send(4, T0 + 4300).action).toBe('pass'); // an hour later: the second counted pass
    expect(send(5, T0 + 4400)).toMatchObject({ action: 'allow', reason: 'auto-allowed' });
  });

  it("stores a client's passes when one counts, and its last-seen time at most once a minute", () => {
    const g = greylist({ autoAllowAfter: 5 });
    const send = (n: number, at: number) => g.ask({ recipient: `user${n}@example.net` }, at);
    send(1, T0);
    expect(send(1, T0 + 300).clientPasses).toEqual({ client: '192.0.2.10', passes: 1, lastCountedAt: T0 + 300, lastSeen: T0 + 300 });
    expect(send(1, T0 + 330).clientPasses).toBeUndefined();
    expect(send(1, T0 + 360).clientPasses).toEqual({ client: '192.0.2.10', passes: 1, lastCountedAt: T0 + 300, lastSeen: T0 + 360 });
  });

  it('counts only the first pass of each triplet: known triplets and auto-allowed mail only keep the client seen', () => {
    const g = greylist({ autoAllowAfter: 1 });
    g.ask({}, T0);
    expect(g.ask({}, T0 + 300).clientPasses).toMatchObject({ passes: 1 });
    expect(g.ask({}, T0 + 3 * 3600)).toMatchObject({ reason: 'auto-allowed', clientPasses: { passes: 1, lastCountedAt: T0 + 300, lastSeen: T0 + 3 * 3600 } });
    const quiet = greylist({ autoAllowAfter: 0 });
    quiet.ask({}, T0);
    quiet.ask({}, T0 + 300);
    expect(quiet.ask({}, T0 + 3 * 3600)).toMatchObject({ reason: 'known', clientPasses: { passes: 1, lastCountedAt: T0 + 300, lastSeen: T0 + 3 * 3600 } });
  });

  it('keys auto-allow by the exact client address, or by its network when autoAllowBy is network', () => {
    const question = { protocolState: 'RCPT', clientAddress: '2001:db8:1:2::25', clientName: '', sender: '', recipient: 'a@b' };
    expect(autoAllowClient(question, DEFAULT_SETTINGS)).toBe('2001:db8:1:2::25');
    expect(autoAllowClient({ clientAddress: '192.0.2.10' }, DEFAULT_SETTINGS)).toBe('192.0.2.10');
    expect(autoAllowClient(question, { ...DEFAULT_SETTINGS, autoAllowBy: 'network' })).toBe('2001:db8:1:2::/64');
    expect(autoAllowClient({ clientAddress: '192.0.2.10' }, { ...DEFAULT_SETTINGS, autoAllowBy: 'network', clientPrefixV4: 16 })).toBe('192.0.0.0/16');
  });

  it('never auto-allows when autoAllowAfter is 0', () => {
    const g = greylist({ autoAllowAfter: 0 });
    for (let hour = 0; hour < 10; hour++) {
      g.ask({ recipient: `u${hour}@example.net` }, T0 + hour * 3600);
      g.ask({ recipient: `u${hour}@example.net` }, T0 + hour * 3600 + 300);
    }
    expect(g.ask({ recipient: 'fresh@example.net' }, T0 + 40_000).reason).toBe('new');
  });

  it('in grey-list-only mode greylists only what the grey list matches', () => {
    const g = greylist({ mode: 'grey-list-only' }, [entry('grey', 'recipient-domain', 'example.net', { id: 3 })]);
    expect(g.ask({ recipient: 'someone@other.org' }, T0)).toMatchObject({ action: 'allow', reason: 'not-grey-listed' });
    const deferred = g.ask({ recipient: 'bob@example.net' }, T0);
    expect(deferred).toMatchObject({ action: 'defer', reason: 'new' });
    expect(deferred.listEntry?.id).toBe(3);
  });

  it('uses the deny reply template', () => {
    const g = greylist({ denyReply: 'no mail from {sender}' }, [entry('deny', 'client-address', '192.0.2.10')]);
    expect(g.ask({}, T0).reply).toBe('REJECT 5.7.1 no mail from alice@example.com');
  });
});

describe('sender-domain-scoped allow entries', () => {
  it('let the domain in from its provider only, naming the entry; another sender from the same client is greylisted', () => {
    const g = greylist({}, [
      entry('allow', 'sender-domain-scoped', 'cloudmail.example via outbound.cloudmail.example', { id: 11 }),
      entry('allow', 'sender-domain-scoped', 'saasvendor.example from 203.0.112.0/20', { id: 12 }),
    ]);
    const provider = { clientAddress: '198.51.100.17', clientName: 'mta-3.outbound.cloudmail.example' };
    const viaName = g.ask({ ...provider, sender: 'billing@cloudmail.example' }, T0);
    expect(viaName).toMatchObject({ action: 'allow', reason: 'allow-list', reply: 'DUNNO', rule: 'allow sender-domain-scoped cloudmail.example via outbound.cloudmail.example (#11)' });
    const fromNetwork = g.ask({ clientAddress: '203.0.120.9', clientName: 'unknown', sender: 'noreply@saasvendor.example' }, T0);
    expect(fromNetwork).toMatchObject({ action: 'allow', rule: 'allow sender-domain-scoped saasvendor.example from 203.0.112.0/20 (#12)' });

    expect(g.ask({ ...provider, sender: 'someone@elsewhere.example' }, T0)).toMatchObject({ action: 'defer', reason: 'new' });
    expect(g.ask({ ...provider, clientName: 'unknown', sender: 'billing@cloudmail.example' }, T0)).toMatchObject({ action: 'defer', reason: 'new' });
    expect(g.ask({ clientAddress: '203.0.128.9', clientName: 'unknown', sender: 'noreply@saasvendor.example' }, T0)).toMatchObject({ action: 'defer', reason: 'new' });
  });
});
