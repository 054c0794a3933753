import { clientAddressBytes } from './net.js';
import type { ListEntry } from './lists.js';

const hex = (bytes: readonly number[]) => bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * A client-address pattern as text that sorts as people read addresses: IPv4 before IPv6, by
 * start address, a wider network before the narrower ones and the addresses it holds. A pattern
 * that is not an address (stored by other means) sorts after them, as text.
 */
function addressKey(pattern: string): string {
  const slash = pattern.indexOf('/');
  const bytes = clientAddressBytes(slash === -1 ? pattern : pattern.slice(0, slash));
  if (!bytes) return `9${pattern}`;
  const prefix = slash === -1 ? bytes.length * 8 : Number(pattern.slice(slash + 1));
  return `${bytes.length === 4 ? 4 : 6}${hex(bytes)}/${String(prefix).padStart(3, '0')}`;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Entries by list, kind and pattern; client addresses and networks in address order, the rest as text. */
export function sortListEntries<E extends Pick<ListEntry, 'list' | 'kind' | 'pattern'>>(entries: readonly E[]): E[] {
  // Each key is made once, not once per comparison: a list may hold 100,000 networks.
  const keyed = entries.map((entry) => ({ entry, key: entry.kind === 'client-address' ? addressKey(entry.pattern) : entry.pattern }));
  keyed.sort((a, b) => byText(a.entry.list, b.entry.list) || byText(a.entry.kind, b.entry.kind) || byText(a.key, b.key));
  return keyed.map(({ entry }) => entry);
}
