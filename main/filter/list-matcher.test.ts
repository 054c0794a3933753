import { describe, expect, it } from 'vitest';
import { normalisePattern, type ListEntry, type ListKind } from '../../shared/lists.js';
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
