import { clientAddressBytes, ipv4Bytes } from './net.js';
import type { ListEntry } from './lists.js';

const hex = (bytes: readonly number[]) => bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('');

const HEXTETS = /^[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*$/;

/**
 * The 32 hex digits of an IPv6 address written in hex groups with at most one "::", as stored
 * entries are; undefined for any other form. By hand because ipaddr.js takes about 50 µs an
 * address, which is seconds for a long list.
 */
function ipv6Hex(text: string): string | undefined {
  const halves = text.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : HEXTETS.test(half) ? half.split(':') : undefined));
  if (groups.some((half) => half === undefined)) return undefined;
  const [head, tail = []] = groups as string[][];
  const missing = 8 - head!.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head!, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail].map((group) => group.padStart(4, '0')).join('');
}

/**
 * A client-address pattern as text that sorts as people read addresses: IPv4 before IPv6, by
 * start address, a wider network before the narrower ones and the addresses it holds. A pattern
 * that is not an address (stored by other means) sorts after them, as text.
 */
function addressKey(pattern: string): string {
  const slash = pattern.indexOf('/');
  const address = slash === -1 ? pattern : pattern.slice(0, slash);
  const prefix = (bits: number) => String(slash === -1 ? bits : Number(pattern.slice(slash + 1))).padStart(3, '0');
  const v4 = ipv4Bytes(address);
  if (v4) return `4${hex(v4)}/${prefix(32)}`;
  const v6 = address.includes(':') && !address.includes('.') ? ipv6Hex(address) : undefined;
  if (v6) return `6${v6}/${prefix(128)}`;
  const bytes = clientAddressBytes(address);
  if (!bytes) return `9${pattern}`;
  return `${bytes.length === 4 ? 4 : 6}${hex(bytes)}/${prefix(bytes.length * 8)}`;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Entries by list, kind and pattern; client addresses and networks in address order, the rest as text. */
export function sortListEntries<E extends Pick<ListEntry, 'list' | 'kind' | 'pattern'>>(entries: readonly E[]): E[] {
  // Each key is made once, not once per comparison: a list may hold 100,000 networks.
  const keyed = entries.map((entry) => ({ entry, key: entry.kind === 'client-address' ? addressKey(entry.pattern) : entry.pattern }));
  keyed.sort((a, b) => byText(a.entry.list, b.entry.list) || byText(a.entry.kind, b.entry.kind) || byText(a.key, b.key));
  return keyed.map(({ entry }) => entry);
}
