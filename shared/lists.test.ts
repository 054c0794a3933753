import { describe, expect, it } from 'vitest';
import { normalisePattern, unicodePattern, type ListKind } from './lists.js';

describe('list patterns', () => {
  it.each(['client-name-pattern', 'sender-pattern', 'recipient-pattern'] as const)('refuses a %s that is empty once its slashes are stripped', (kind) => {
    expect(() => normalisePattern(kind, '//')).toThrow(/empty/);
    expect(() => normalisePattern(kind, ' // ')).toThrow(/empty/);
    expect(normalisePattern(kind, '/^spam@/')).toBe('^spam@');
  });

  it.each<[ListKind, string]>([
    ['sender-address', 'alice\0@example.com'],
    ['sender-domain', 'exam\u0000ple.com'],
    ['client-name', 'mail\u001b[31m.example.com'],
    ['client-address', '192.0.2.1\u0000'],
    ['recipient-user', 'post\u0007master@'],
    ['sender-pattern', '^spam\u0000'],
    ['recipient-pattern', 'a\u0085b'],
    ['client-name-pattern', 'mx\u007f'],
  ])('refuses a %s with a control character, and says which one', (kind, text) => {
    expect(() => normalisePattern(kind, text)).toThrow(/control character \\x|control character \\u/);
  });

  it('refuses a link-local address with a zone instead of storing it without the zone', () => {
    expect(() => normalisePattern('client-address', 'fe80::1%eth0')).toThrow(/zone/);
    expect(() => normalisePattern('client-address', 'fe80::%eth0/64')).toThrow(/zone/);
    expect(normalisePattern('client-address', 'fe80::1')).toBe('fe80::1');
  });

  it.each<[ListKind, string]>([
    ['client-address', '3221225991'],
    ['client-address', '0xc0.0.2.7'],
    ['client-address', '0300.0.2.7'],
    ['client-address', '192.0.2.07'],
  ])('refuses the legacy IPv4 form %s %j: Postfix never writes it', (kind, text) => {
    expect(() => normalisePattern(kind, text)).toThrow(/not an IPv4 or IPv6/);
  });

  it.each<[ListKind, string, string, string]>([
    ['sender-domain', 'bücher.example', 'xn--bcher-kva.example', 'bücher.example'],
    ['client-name', 'MAIL.Bücher.Example.', 'mail.xn--bcher-kva.example', 'mail.bücher.example'],
    ['recipient-domain', 'xn--bcher-kva.example', 'xn--bcher-kva.example', 'bücher.example'],
    ['sender-address', 'Info@Bücher.example', 'info@xn--bcher-kva.example', 'info@bücher.example'],
    ['recipient-address', 'postmaster@例え.テスト', 'postmaster@xn--r8jz45g.xn--zckzah', 'postmaster@例え.テスト'],
  ])('stores the IDN %s %j as punycode and shows it in both forms', (kind, text, stored, shown) => {
    const pattern = normalisePattern(kind, text);
    expect(pattern).toBe(stored);
    expect(unicodePattern(kind, pattern)).toBe(shown);
  });

  it('has no second form for an ASCII name or a pattern', () => {
    expect(unicodePattern('sender-domain', 'example.com')).toBeUndefined();
    expect(unicodePattern('sender-pattern', 'xn--bcher-kva')).toBeUndefined();
    expect(unicodePattern('client-address', '192.0.2.0/24')).toBeUndefined();
  });

  it('refuses a domain that is not valid punycode or IDN', () => {
    expect(() => normalisePattern('sender-domain', 'bü cher.example')).toThrow(/not a valid domain/);
    expect(() => normalisePattern('sender-domain', `${'ü'.repeat(70)}.example`)).toThrow(/not a valid domain/);
  });
});
