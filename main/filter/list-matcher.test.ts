import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { normalisePattern, type ListEntry, type ListKind, type ListName } from '../../shared/lists.js';
import { networkContains, parseIp, parseNetwork } from '../../shared/net.js';
import { networkOf } from '../store/list-tables.js';
import { ListMatcher, type MatchSubject } from './list-matcher.js';

const subject = (over: Partial<MatchSubject> = {}): MatchSubject => ({
  clientAddress: '192.0.2.10',
  clientName: 'mx1.mail.example.com',
  sender: 'alice+news@example.org',
  recipient: 'bob+tag@example.net',
  ...over,
});

function matcherOf(kind: ListKind, pattern: string, extra: Partial<ListEntry> = {}) {
  return new ListMatcher([
    { id: 1, list: 'allow', kind, pattern: normalisePattern(kind, pattern), comment: '', source: '', createdAt: 0, expiresAt: null, hits: 0, lastHitAt: null, ...extra },
  ]);
}

describe('list kinds', () => {
  const table: Array<[ListKind, string, Partial<MatchSubject>, boolean]> = [
    ['client-address', '192.0.2.10', {}, true],
    ['client-address', '192.0.2.0/24', {}, true],
    ['client-address', '192.0.2.0/25', { clientAddress: '192.0.2.200' }, false],
    ['client-address', '10.0.0.0/8', {}, false],
    ['client-address', '2001:db8::/32', { clientAddress: '2001:db8:aa::1' }, true],
    ['client-address', '2001:db8::/32', { clientAddress: '2001:db9::1' }, false],
    ['client-address', '192.0.2.0/24', { clientAddress: '::ffff:192.0.2.9' }, true],
    ['client-name', 'example.com', {}, true],
    ['client-name', 'mail.example.com', {}, true],
    ['client-name', 'mx1.mail.example.com', {}, true],
    ['client-name', 'ample.com', {}, false],
    ['client-name', 'example.com', { clientName: '' }, false],
    ['client-name-pattern', '^mx\\d+\\.mail\\.', {}, true],
    ['client-name-pattern', '/^smtp/', {}, false],
    ['sender-address', 'alice@example.org', {}, true],
    ['sender-address', 'alice+news@example.org', {}, true],
    ['sender-address', 'alice+other@example.org', {}, false],
    ['sender-domain', 'example.org', {}, true],
    ['sender-domain', 'example.org', { sender: 'x@lists.example.org' }, true],
    ['sender-domain', 'example.org', { sender: 'x@badexample.org' }, false],
    ['sender-domain', 'example.org', { sender: '' }, false],
    ['sender-pattern', '@example\\.org$', {}, true],
    ['recipient-address', 'bob@example.net', {}, true],
    ['recipient-address', 'BOB@Example.NET', {}, true],
    ['recipient-address', 'carol@example.net', {}, false],
    ['recipient-user', 'bob@', {}, true],
    ['recipient-user', 'postmaster@', { recipient: 'postmaster@anything.test' }, true],
    ['recipient-user', 'postmaster@', {}, false],
    ['recipient-domain', 'example.net', {}, true],
    ['recipient-domain', 'net', {}, true],
    ['recipient-pattern', '^bob\\+', {}, true],
  ];
  it.each(table)('%s %s against %o → %s', (kind, pattern, over, expected) => {
    expect(Boolean(matcherOf(kind, pattern).match('allow', subject(over), 100))).toBe(expected);
  });

  it('stops matching once an entry has expired', () => {
    const m = matcherOf('client-address', '192.0.2.0/24', { expiresAt: 100 });
    expect(m.match('allow', subject(), 99)).toBeDefined();
    expect(m.match('allow', subject(), 100)).toBeUndefined();
  });

  it('keeps lists apart', () => {
    expect(matcherOf('client-address', '192.0.2.0/24').match('deny', subject(), 0)).toBeUndefined();
  });

  it('matches a hostile-looking pattern in linear time', () => {
    const m = matcherOf('client-name-pattern', '(a+)+$');
    // A backtracking engine would not return here before the test times out; RE2 answers at once.
    expect(m.match('allow', subject({ clientName: `${'a'.repeat(50_000)}!` }), 0)).toBeUndefined();
  });
});

describe('pattern validation', () => {
  it.each([
    ['client-address', '300.1.2.3', /not an IPv4 or IPv6/],
    ['client-address', '192.0.2.0/33', /prefix length/],
    ['client-address', '10', /not an IPv4 or IPv6/],
    ['client-name', 'exa mple.com', /not a valid domain/],
    ['sender-address', 'nobody', /not a valid e-mail/],
    ['sender-domain', 'a@b.com', /contains @/],
    ['recipient-user', 'a b@', /not a valid local part/],
    ['client-name-pattern', '(a)\\1', /not a valid RE2/],
    ['client-name-pattern', '(?=x)', /not a valid RE2/],
    ['sender-domain', '', /empty/],
  ] as Array<[ListKind, string, RegExp]>)('%s refuses %j', (kind, pattern, message) => {
    expect(() => normalisePattern(kind, pattern)).toThrow(message);
  });

  it('canonicalises what it accepts', () => {
    expect(normalisePattern('client-address', '192.0.2.77/24')).toBe('192.0.2.0/24');
    expect(normalisePattern('client-address', '2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalisePattern('client-name', '.Mail.Example.COM.')).toBe('mail.example.com');
    expect(normalisePattern('recipient-user', 'Postmaster')).toBe('postmaster@');
    expect(normalisePattern('sender-pattern', '/^x/')).toBe('^x');
  });
});

/** The lists' semantics written as plainly as possible: every entry looked at, in order, per kind of match. */
function referenceMatch(entries: readonly ListEntry[], list: ListName, subject: MatchSubject, now: number): ListEntry | undefined {
  const live = entries.filter((e) => e.list === list && (e.expiresAt === null || e.expiresAt > now));
  const first = (kind: ListKind, test: (pattern: string) => boolean) => live.find((e) => e.kind === kind && test(e.pattern));
  const suffixes = (domain: string) => domain.split('.').map((_, i, labels) => labels.slice(i).join('.'));
  const split = (address: string) => {
    const at = address.lastIndexOf('@');
    if (at <= 0) return undefined;
    const local = address.slice(0, at);
    return { local, base: local.includes('+', 1) ? local.slice(0, local.indexOf('+', 1)) : local, domain: address.slice(at + 1) };
  };
  const inNetwork = (pattern: string) => {
    const address = parseIp(subject.clientAddress);
    return address !== undefined && /^(\d+\.){3}\d+$|:/.test(subject.clientAddress) && networkContains(parseNetwork(pattern), address.address);
  };
  const candidates: Array<() => ListEntry | undefined> = [() => first('client-address', inNetwork)];
  if (subject.clientName) for (const s of suffixes(subject.clientName)) candidates.push(() => first('client-name', (p) => p === s));
  const sender = split(subject.sender);
  if (sender) {
    candidates.push(() => first('sender-address', (p) => p === subject.sender), () => first('sender-address', (p) => p === `${sender.base}@${sender.domain}`));
    for (const s of suffixes(sender.domain)) candidates.push(() => first('sender-domain', (p) => p === s));
    const named = (suffix: string) => subject.clientName !== '' && (subject.clientName === suffix || subject.clientName.endsWith(`.${suffix}`));
    for (const s of suffixes(sender.domain)) {
      candidates.push(() =>
        first('sender-domain-scoped', (p) => {
          const [domain, keyword, ...scope] = p.split(' ');
          if (domain !== s) return false;
          return keyword === 'via' ? named(scope[0]!) : scope.join('').split(',').some(inNetwork);
        }),
      );
    }
  }
  const recipient = split(subject.recipient);
  if (recipient) {
    candidates.push(
      () => first('recipient-address', (p) => p === subject.recipient),
      () => first('recipient-address', (p) => p === `${recipient.base}@${recipient.domain}`),
      () => first('recipient-user', (p) => p === `${recipient.local}@`),
      () => first('recipient-user', (p) => p === `${recipient.base}@`),
    );
    for (const s of suffixes(recipient.domain)) candidates.push(() => first('recipient-domain', (p) => p === s));
  }
  for (const [kind, text] of [
    ['client-name-pattern', subject.clientName],
    ['sender-pattern', subject.sender],
    ['recipient-pattern', subject.recipient],
  ] as Array<[ListKind, string]>) {
    if (text) candidates.push(() => first(kind, (p) => new RegExp(p, 'i').test(text)));
  }
  for (const candidate of candidates) {
    const hit = candidate();
    if (hit) return hit;
  }
  return undefined;
}

describe('the compact matcher against a plain scan of the entries', () => {
  const labels = ['a', 'b', 'mx', 'example', 'com'];
  const domain = fc.array(fc.constantFrom(...labels), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
  // Domains of the labels above that are not public suffixes (com.mx is one), as a scoped entry needs.
  const domain2 = fc.constantFrom('a.b', 'mx.a.b', 'b.a.b', 'example.com', 'mx.example.com', 'a.example', 'b.a.example', 'a.com');
  const local = fc.constantFrom('bob', 'bob+tag', 'alice', 'postmaster', 'a+b+c');
  const v4 = fc.tuple(fc.constantFrom(10, 192), fc.constantFrom(0, 2, 255), fc.constantFrom(0, 1, 128), fc.integer({ min: 0, max: 255 })).map((b) => b.join('.'));
  const v6 = fc.tuple(fc.constantFrom('2001:db8', '2001:db9', 'fe80'), fc.constantFrom('0', '1', 'ffff:1'), fc.constantFrom('1', '2')).map(([a, b, c]) => `${a}:${b}::${c}`);
  const patternOf: Record<ListKind, fc.Arbitrary<string>> = {
    'client-address': fc.oneof(
      fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
      fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
      v4,
    ),
    'client-name': domain,
    'client-name-pattern': fc.constantFrom('^mx', 'example', 'a\\.b', 'com$'),
    'sender-address': fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
    'sender-domain': domain,
    'sender-domain-scoped': fc.tuple(
      domain2,
      fc.oneof(
        fc.array(fc.oneof(fc.tuple(v4, fc.integer({ min: 1, max: 32 })).map(([a, p]) => `${a}/${p}`), fc.tuple(v6, fc.integer({ min: 1, max: 128 })).map(([a, p]) => `${a}/${p}`)), { minLength: 1, maxLength: 3 }).map((networks) => `from ${networks.join(', ')}`),
        domain2.map((suffix) => `via ${suffix}`),
      ),
    ).map(([d, scope]) => `${d} ${scope}`),
    'sender-pattern': fc.constantFrom('^bob', 'tag@', '\\.com$'),
    'recipient-address': fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
    'recipient-user': local.map((l) => `${l}@`),
    'recipient-domain': domain,
    'recipient-pattern': fc.constantFrom('^alice', 'b@a', 'x'),
  };
  const kinds = Object.keys(patternOf) as ListKind[];
  const entry = fc
    .constantFrom(...kinds)
    .chain((kind) => fc.record({ list: fc.constantFrom<ListName>('allow', 'grey', 'deny'), kind: fc.constant(kind), pattern: patternOf[kind], expiresAt: fc.option(fc.integer({ min: 90, max: 110 })) }));
  const subjectArb = fc.record({
    clientAddress: fc.oneof(v4, v6, v6.map((a) => a.replace(/::.*$/, '::ffff:192.0.2.7')), fc.constant('unknown')),
    clientName: fc.oneof(domain, fc.constant('')),
    sender: fc.oneof(fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`), fc.constant('')),
    recipient: fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
  });

  it('finds the same entry for any entries and request', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.array(subjectArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 85, max: 115 }), (raw, subjects, now) => {
        const entries: ListEntry[] = raw.map((e, i) => ({ ...e, id: 100 + i, pattern: normalisePattern(e.kind, e.pattern), comment: '', source: '', createdAt: 0, hits: 0, lastHitAt: null }));
        const matcher = new ListMatcher(entries);
        for (const s of subjects) {
          for (const list of ['allow', 'grey', 'deny'] as const) {
            const expected = referenceMatch(entries, list, s, now);
            expect(matcher.match(list, s, now)?.id).toBe(expected?.id);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reports the matching entry as stored', () => {
    const m = matcherOf('client-address', '192.0.2.0/24', { id: 42, expiresAt: 500 });
    expect(m.match('allow', subject(), 100)).toEqual({ id: 42, list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', expiresAt: 500 });
  });
});

describe('reading stored networks', () => {
  const bytesOf = (text: string) => {
    try {
      const network = parseNetwork(text);
      return { prefix: network.prefix, bytes: ipaddr.parse(network.address).toByteArray() };
    } catch {
      return 'invalid';
    }
  };
  const quickly = (text: string) => {
    try {
      return networkOf(text);
    } catch {
      return 'invalid';
    }
  };

  it('reads every form as parseNetwork does, canonical or not', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('010', '0x1', '00'));
    const v4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
    const group = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)), fc.constantFrom('DB8', '0000', 'ffff'));
    const v6 = fc.oneof(
      fc.array(group, { minLength: 8, maxLength: 8 }).map((groups) => groups.join(':')),
      fc.tuple(fc.array(group, { maxLength: 3 }), fc.array(group, { maxLength: 3 })).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
      v4.map((address) => `::ffff:${address}`),
    );
    const prefix = fc.option(fc.oneof(fc.integer({ min: 0, max: 140 }).map(String), fc.constantFrom('024', '', 'x')), { nil: undefined });
    fc.assert(
      fc.property(fc.oneof(v4, v6), prefix, (address, bits) => {
        const text = bits === undefined ? address : `${address}/${bits}`;
        expect(quickly(text)).toEqual(bytesOf(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('sender-domain-scoped entries', () => {
  const scoped = (pattern: string) => matcherOf('sender-domain-scoped', pattern);
  const fromNetworks = scoped('cloudmail.example from 192.0.2.0/24, 198.51.100.0/22, 2001:db8:5::/48');
  const viaSuffix = scoped('cloudmail.example via outbound.cloudmail.example');
  const at = (over: Partial<MatchSubject>) => subject({ sender: 'billing@cloudmail.example', clientName: 'unknown-host.example.net', ...over });

  it.each<[string, Partial<MatchSubject>, boolean]>([
    ['a client inside a listed network', { clientAddress: '192.0.2.77' }, true],
    ['a client inside the /22', { clientAddress: '198.51.103.254' }, true],
    ['an IPv6 client inside the /48', { clientAddress: '2001:db8:5:ff::25' }, true],
    ['an IPv4-mapped client inside a listed network', { clientAddress: '::ffff:192.0.2.8' }, true],
    ['a subdomain of the sender domain', { clientAddress: '192.0.2.77', sender: 'bounce-17@mail.cloudmail.example' }, true],
    ['a client just outside the /22', { clientAddress: '198.51.104.1' }, false],
    ['a client outside every network', { clientAddress: '203.0.113.5' }, false],
    ['another sender domain from a listed network', { clientAddress: '192.0.2.77', sender: 'spam@elsewhere.example' }, false],
    ['a domain that only ends like it', { clientAddress: '192.0.2.77', sender: 'x@evilcloudmail.example' }, false],
    ['a bounce (empty sender) from a listed network', { clientAddress: '192.0.2.77', sender: '' }, false],
  ])('from networks: %s', (_what, over, matches) => {
    expect(fromNetworks.match('allow', at(over), 0)?.id).toBe(matches ? 1 : undefined);
  });

  it.each<[string, Partial<MatchSubject>, boolean]>([
    ['a client named exactly the suffix', { clientName: 'outbound.cloudmail.example' }, true],
    ['a client named under the suffix', { clientName: 'mta-17.eu.outbound.cloudmail.example' }, true],
    ['a name that ends in the suffix text without a dot before it', { clientName: 'evil-outbound.cloudmail.example' }, false],
    ['a name that holds the suffix elsewhere', { clientName: 'outbound.cloudmail.example.attacker.example' }, false],
    ['an unverified client (Postfix said "unknown")', { clientName: '' }, false],
    ['another sender domain via the suffix', { clientName: 'mta-1.outbound.cloudmail.example', sender: 'other@saasvendor.example' }, false],
  ])('via a hostname suffix: %s', (_what, over, matches) => {
    expect(viaSuffix.match('allow', at(over), 0)?.id).toBe(matches ? 1 : undefined);
  });

  it('takes the first entry in order of several for one domain, and skips expired ones', () => {
    const entry = (id: number, pattern: string, expiresAt: number | null = null): ListEntry => ({
      id, list: 'allow', kind: 'sender-domain-scoped', pattern, comment: '', source: '', createdAt: 0, expiresAt, hits: 0, lastHitAt: null,
    });
    const matcher = new ListMatcher([
      entry(1, 'cloudmail.example via outbound.cloudmail.example', 50),
      entry(2, 'cloudmail.example from 10.0.0.0/8'),
      entry(3, 'cloudmail.example via cloudmail.example'),
    ]);
    const named = at({ clientAddress: '10.1.2.3', clientName: 'mta-1.outbound.cloudmail.example' });
    expect(matcher.match('allow', named, 10)?.id).toBe(1);
    expect(matcher.match('allow', named, 100)?.id).toBe(2);
    expect(matcher.match('allow', { ...named, clientAddress: '192.0.2.1' }, 100)?.id).toBe(3);
    expect(matcher.match('allow', { ...named, clientAddress: '192.0.2.1', clientName: '' }, 100)).toBeUndefined();
  });
});
