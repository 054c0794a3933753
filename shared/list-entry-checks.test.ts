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
