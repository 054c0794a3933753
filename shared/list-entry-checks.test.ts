import { describe, expect, it } from 'vitest';
import { MAX_EXPIRY_SECONDS, normaliseEntryPattern, validateExpiry } from './list-entry-checks.js';
import type { ListKind } from './lists.js';

const NOW = 1_800_000_000;

describe('deny-list entries that would reject all mail', () => {
  it.each<[ListKind, string, RegExp]>([
    ['sender-pattern', '.*', /matches the empty string/],
    ['sender-pattern', '^', /matches the empty string/],
    ['recipient-pattern', 'x?', /matches the empty string/],
    ['client-name-pattern', '/(a|)/', /matches the empty string/],
    ['sender-pattern', '@', /matches every address/],
    ['sender-pattern', '.', /matches every address/],
    ['recipient-pattern', '.+@.+', /matches every address/],
    ['sender-pattern', '[a-z]', /matches every address/],
    ['client-name-pattern', '\\.', /matches every host name/],
    ['client-address', '0.0.0.0/0', /every IPv4 client/],
    ['client-address', '::/0', /every IPv6 client/],
  ])('refuses deny %s %j', (kind, text, message) => {
    expect(() => normaliseEntryPattern('deny', kind, text)).toThrow(message);
    expect(() => normaliseEntryPattern('deny', kind, text)).toThrow(/deny list/);
  });

  it.each<[ListKind, string]>([
    ['sender-pattern', '^spam@'],
    ['sender-pattern', '@example\\.com$'],
    ['client-name-pattern', '^dsl-[0-9]+\\.'],
    ['client-address', '192.0.2.0/24'],
    ['sender-domain', 'example.com'],
  ])('keeps the narrow deny %s %j', (kind, text) => {
    expect(normaliseEntryPattern('deny', kind, text)).toBe(text);
  });

  it('leaves broad patterns to the allow and grey lists, where they cost no mail', () => {
    expect(normaliseEntryPattern('allow', 'sender-pattern', '.*')).toBe('.*');
    expect(normaliseEntryPattern('grey', 'client-address', '0.0.0.0/0')).toBe('0.0.0.0/0');
  });

  it('still refuses an empty pattern on every list', () => {
    expect(() => normaliseEntryPattern('allow', 'sender-pattern', '//')).toThrow(/empty/);
  });
});

describe('entry expiry', () => {
  it('keeps no expiry and any time from now to ten years ahead', () => {
    expect(validateExpiry(null, NOW)).toBeNull();
    expect(validateExpiry(NOW + 1, NOW)).toBe(NOW + 1);
    expect(validateExpiry(NOW + MAX_EXPIRY_SECONDS, NOW)).toBe(NOW + MAX_EXPIRY_SECONDS);
    expect(MAX_EXPIRY_SECONDS).toBe(3650 * 86_400);
  });

  it.each([
    [NOW + MAX_EXPIRY_SECONDS + 1, /at most 10 years/],
    [NOW + 99_999_999_999 * 604_800, /at most 10 years/],
    [Number.MAX_SAFE_INTEGER, /at most 10 years/],
    [1e20, /at most 10 years/],
    [Infinity, /whole number of seconds/],
    [NaN, /whole number of seconds/],
    [NOW + 0.5, /whole number of seconds/],
    [-1, /negative/],
    [-Number.MAX_SAFE_INTEGER, /negative/],
    [NOW, /already past/],
    [NOW - 60, /already past/],
  ])('refuses %d', (expiresAt, message) => {
    expect(() => validateExpiry(expiresAt, NOW)).toThrow(message);
  });
});

describe('sender-domain-scoped entries: a sender domain from given clients only', () => {
  it.each<[string, string]>([
    ['cloudmail.example from 192.0.2.0/24, 198.51.100.0/22', 'cloudmail.example from 192.0.2.0/24, 198.51.100.0/22'],
    ['  CloudMail.Example.  FROM 192.0.2.7 198.51.100.9/22,2001:DB8::/32 ', 'cloudmail.example from 192.0.2.7, 198.51.100.0/22, 2001:db8::/32'],
    ['cloudmail.example from 192.0.2.0/24, 192.0.2.0/24', 'cloudmail.example from 192.0.2.0/24'],
    ['cloudmail.example via outbound.cloudmail.example', 'cloudmail.example via outbound.cloudmail.example'],
    ['saasvendor.example Via .Outbound.CloudMail.Example.', 'saasvendor.example via outbound.cloudmail.example'],
    ['bücher.example via mx.bücher.example', 'xn--bcher-kva.example via mx.xn--bcher-kva.example'],
  ])('stores %j as %j', (text, stored) => {
    for (const list of ['allow', 'grey', 'deny'] as const) expect(normaliseEntryPattern(list, 'sender-domain-scoped', text)).toBe(stored);
  });

  it.each<[string, RegExp]>([
    ['cloudmail.example', /says from which clients: write "cloudmail\.example from 192\.0\.2\.0\/24" \(client networks\) or "cloudmail\.example via outbound\.cloudmail\.example" \(client hostname suffix\); for the domain from any client, use a sender-domain entry/],
    ['cloudmail.example 192.0.2.0/24', /is not "DOMAIN from NETWORKS" or "DOMAIN via HOSTNAME-SUFFIX"/],
    ['cloudmail.example from', /names no client network after "from"/],
    ['cloudmail.example from 192.0.2.0/33', /"192\.0\.2\.0\/33": the prefix length must be a number from 0 to 32/],
    ['cloudmail.example from 192.0.2', /"192\.0\.2" is not an IPv4 or IPv6 address or CIDR network/],
    ['cloudmail.example from mail.cloudmail.example', /"mail\.cloudmail\.example" is not an IPv4 or IPv6 address or CIDR network.*write "cloudmail\.example via mail\.cloudmail\.example"/],
    ['cloudmail.example from 0.0.0.0/0', /0\.0\.0\.0\/0 is every IPv4 client: the domain from anywhere, which anyone can forge/],
    ['cloudmail.example from ::/0', /::\/0 is every IPv6 client/],
    ['cloud_mail..example from 192.0.2.0/24', /"cloud_mail\.\.example" is not a valid domain/],
    ['alice@cloudmail.example from 192.0.2.0/24', /"alice@cloudmail\.example" contains @: the sender domain of a sender-domain-scoped entry is a domain only/],
    ['com from 192.0.2.0/24', /"com" is a public suffix, not one sender's domain: every sender under it would match; for all mail from those clients, use a client-address or client-name entry/],
    ['cloudmail.example via', /names no client hostname suffix after "via"/],
    ['cloudmail.example via example', /"example" is a public suffix: every client named under it would match; give the provider's hostname suffix, e.g\. outbound\.cloudmail\.example/],
    ['cloudmail.example via co.uk', /"co\.uk" is a public suffix/],
    ['cloudmail.example via 192.0.2.7', /"192\.0\.2\.7" is an address, not a hostname: write "cloudmail\.example from 192\.0\.2\.7"/],
    ['cloudmail.example via a.example, b.example', /"via" takes one hostname suffix/],
    ['cloudmail.example via out bound.example', /"via" takes one hostname suffix/],
  ])('refuses %j, saying why', (text, message) => {
    expect(() => normaliseEntryPattern('allow', 'sender-domain-scoped', text)).toThrow(message);
  });
});
