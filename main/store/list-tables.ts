import ipaddr from 'ipaddr.js';
import { LIST_KINDS, LIST_NAMES, type ListKind, type ListName } from '../../shared/lists.js';
import { parseNetwork } from '../../shared/net.js';
import { scopedSenderDomain } from '../../shared/scoped-sender.js';

/**
 * The lists as the filter holds them: typed arrays and one byte string per list, no object per
 * entry, so that a million entries cost tens of megabytes, live outside the JavaScript heap, and
 * travel from the thread that reads them to the one that answers without being copied.
 *
 * Entries keep their order (the order they were given, by id when read from the store): a
 * "position" below is an index in that order, and of several entries that match, the first
 * position wins, as in a scan of the entries one by one.
 */
export interface ListTable {
  count: number;
  ids: Float64Array;
  /** Unix seconds after which the entry stops applying; NaN for never. */
  expires: Float64Array;
  /** Index in LIST_KINDS. */
  kinds: Uint8Array;
  /** The pattern of position i is the UTF-8 of text[textEnds[i - 1] ?? 0, textEnds[i]). */
  text: Uint8Array;
  textEnds: Uint32Array;
  /**
   * Names and addresses compared whole: positions sorted by nameHash(kind, pattern); a
   * sender-domain-scoped entry is hashed by its sender domain, its clients checked once it is found.
   */
  nameHashes: Uint32Array;
  namePositions: Uint32Array;
  /** IPv4 networks: prefix * 2^32 + network address, sorted, with their positions. */
  v4Keys: Float64Array;
  v4Positions: Uint32Array;
  /** IPv6 networks: five words each (prefix, then the address's four), sorted, with their positions. */
  v6Keys: Uint32Array;
  v6Positions: Uint32Array;
  /** Regular expressions, in entry order. */
  patternPositions: Uint32Array;
}

export type ListTables = Record<ListName, ListTable>;

const UNKNOWN_KIND = 255;
export const KIND_CODE = Object.fromEntries(LIST_KINDS.map((kind, code) => [kind, code])) as Record<ListKind, number>;

/** FNV-1a over the kind and the UTF-16 code units of the text: cheap for short names, computed per lookup. */
export function nameHash(kindCode: number, text: string): number {
  let hash = Math.imul(0x811c9dc5 ^ kindCode, 0x01000193);
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * How many entries the lists hold at most. Measured (bench/lists-scale-bench.mjs): a million client
 * entries take 46 MiB of tables, the filter's RSS is about 175 MiB once they are loaded, and a
 * reload holds the old tables and the new ones at once; the limit leaves a fifth more room than
 * that million. Regexes cost a compiled program each and are tried one by one for every request,
 * so they are held to far fewer.
 */
export const MAX_LIST_ENTRIES = 1_200_000;
export const MAX_PATTERN_ENTRIES = 10_000;

/** Why `adding` entries (`addingPatterns` of them regexes) to the stored ones would be too many, or undefined. */
export function listCapacityProblem(stored: number, storedPatterns: number, adding: number, addingPatterns: number): string | undefined {
  if (stored + adding > MAX_LIST_ENTRIES) {
    return `the lists hold at most ${MAX_LIST_ENTRIES.toLocaleString('en')} entries: ${stored.toLocaleString('en')} are stored, and ${adding.toLocaleString('en')} more would be too many; nothing was added`;
  }
  if (storedPatterns + addingPatterns > MAX_PATTERN_ENTRIES) {
    return `the lists hold at most ${MAX_PATTERN_ENTRIES.toLocaleString('en')} regular expressions (every request is tried against each): ${storedPatterns.toLocaleString('en')} are stored, and ${addingPatterns.toLocaleString('en')} more would be too many; nothing was added`;
  }
  return undefined;
}

export const isPatternKind = (kind: string) => kind.endsWith('-pattern');

const CANONICAL_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** The network of a client-address entry as a prefix and 4 or 16 bytes (masked), as parseNetwork reads it. */
export function networkOf(pattern: string): { prefix: number; bytes: number[] } {
  // Entries are stored canonical; reading those without parseNetwork (whose validity checks throw and
  // catch inside ipaddr.js) makes loading a million of them several times quicker.
  const quick = CANONICAL_V4.exec(pattern);
  if (quick) {
    const bytes = [quick[1], quick[2], quick[3], quick[4]].map(Number);
    const prefix = quick[5] === undefined ? 32 : Number(quick[5]);
    const canonical = bytes.every((b) => b <= 255) && bytes.join('.') === pattern.split('/')[0] && (quick[5] === undefined || String(prefix) === quick[5]);
    if (canonical && prefix <= 32 && bytes.every((b, i) => (b & ~maskByte(prefix, i)) === 0)) return { prefix, bytes };
  }
  // No zone can be in it (no "%"), and a valid address does not throw.
  const v6 = CANONICAL_V6.exec(pattern);
  if (v6 && ipaddr.IPv6.isValid(v6[1]!) && (v6[2] === undefined || String(Number(v6[2])) === v6[2])) {
    const address = ipaddr.IPv6.parse(v6[1]!);
    const prefix = v6[2] === undefined ? 128 : Number(v6[2]);
    if (!address.isIPv4MappedAddress() && prefix <= 128) return { prefix, bytes: address.toByteArray().map((b, i) => b & maskByte(prefix, i)) };
  }
  const network = parseNetwork(pattern);
  return { prefix: network.prefix, bytes: ipaddr.parse(network.address).toByteArray() };
}

const CANONICAL_V6 = /^([0-9a-f:]*:[0-9a-f:.]*)(?:\/(\d{1,3}))?$/;

/** The mask of byte `index` of a network of `prefix` bits. */
export function maskByte(prefix: number, index: number): number {
  return (0xff << Math.min(8, Math.max(0, 8 - (prefix - index * 8)))) & 0xff;
}

/** A growable array of one typed array type; `done()` returns the used part, trimmed. */
class Column<T extends Float64Array | Uint32Array | Uint8Array> {
  private data: T;
  length = 0;
  constructor(private readonly make: (size: number) => T, capacity = 0) {
    this.data = make(Math.max(capacity, 64));
  }
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length * 2);
    this.data[this.length++] = value;
  }
  /** Appends the UTF-8 of `text` (a column of bytes). */
  pushText(text: string): void {
    if (this.length + text.length * 3 > this.data.length) this.grow(Math.max(this.data.length * 2, this.length + text.length * 3));
    this.length += encoder.encodeInto(text, (this.data as Uint8Array).subarray(this.length)).written;
  }
  private grow(size: number): void {
    const bigger = this.make(size);
    bigger.set(this.data);
    this.data = bigger;
  }
  done(): T {
    return this.length === this.data.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

const encoder = new TextEncoder();

/** How many entries of each sort a list will get, when known: the columns are then allocated once, at their size. */
export interface ListSizes {
  entries: number;
  textBytes: number;
  networks: number;
  names: number;
  patterns: number;
}

class ListTableBuilder {
  private readonly ids;
  private readonly expires;
  private readonly kinds;
  private readonly text;
  private readonly textEnds;
  private readonly hashes;
  private readonly hashed;
  private readonly v4Keys;
  private readonly v4Positions;
  private readonly v6Words = new Column((n) => new Uint32Array(n));
  private readonly v6Positions = new Column((n) => new Uint32Array(n));
  private readonly patterns;

  constructor(sizes?: ListSizes) {
    const { entries = 0, textBytes = 0, networks = 0, names = 0, patterns = 0 } = sizes ?? {};
    this.ids = new Column((n) => new Float64Array(n), entries);
    this.expires = new Column((n) => new Float64Array(n), entries);
    this.kinds = new Column((n) => new Uint8Array(n), entries);
    this.text = new Column((n) => new Uint8Array(n), textBytes);
    this.textEnds = new Column((n) => new Uint32Array(n), entries);
    this.hashes = new Column((n) => new Uint32Array(n), names);
    this.hashed = new Column((n) => new Uint32Array(n), names);
    this.v4Keys = new Column((n) => new Float64Array(n), networks);
    this.v4Positions = new Column((n) => new Uint32Array(n), networks);
    this.patterns = new Column((n) => new Uint32Array(n), patterns);
  }

  add(id: number, kind: ListKind, pattern: string, expiresAt: number | null): void {
    const position = this.ids.length;
    if (kind === 'client-address') {
      const { prefix, bytes } = networkOf(pattern);
      if (bytes.length === 4) {
        this.v4Keys.push(prefix * 2 ** 32 + (((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0));
        this.v4Positions.push(position);
      } else {
        this.v6Words.push(prefix);
        for (let w = 0; w < 16; w += 4) this.v6Words.push(((bytes[w]! << 24) | (bytes[w + 1]! << 16) | (bytes[w + 2]! << 8) | bytes[w + 3]!) >>> 0);
        this.v6Positions.push(position);
      }
    } else if (!(kind in KIND_CODE)) {
      // A kind this version does not know (a newer one wrote it): it matches nothing, as it always has.
    } else if (isPatternKind(kind)) {
      this.patterns.push(position);
    } else {
      this.hashes.push(nameHash(KIND_CODE[kind], kind === 'sender-domain-scoped' ? scopedSenderDomain(pattern) : pattern));
      this.hashed.push(position);
    }
    this.ids.push(id);
    this.expires.push(expiresAt ?? NaN);
    this.kinds.push(KIND_CODE[kind] ?? UNKNOWN_KIND);
    this.text.pushText(pattern);
    this.textEnds.push(this.text.length);
  }

  build(): ListTable {
    const hashes = this.hashes.done();
    const hashOrder = sortedOrder(hashes.length, (a, b) => hashes[a]! - hashes[b]!);
    const v4 = this.v4Keys.done();
    const v4Order = sortedOrder(v4.length, (a, b) => v4[a]! - v4[b]!);
    const v6 = this.v6Words.done();
    const v6Order = sortedOrder(v6.length / 5, (a, b) => {
      for (let w = 0; w < 5; w++) if (v6[a * 5 + w] !== v6[b * 5 + w]) return v6[a * 5 + w]! - v6[b * 5 + w]!;
      return a - b;
    });
    const hashed = this.hashed.done();
    const v4Positions = this.v4Positions.done();
    const v6Positions = this.v6Positions.done();
    const v6Keys = new Uint32Array(v6.length);
    v6Order.forEach((from, to) => v6Keys.set(v6.subarray(from * 5, from * 5 + 5), to * 5));
    return {
      count: this.ids.length,
      ids: this.ids.done(),
      expires: this.expires.done(),
      kinds: this.kinds.done(),
      text: this.text.done(),
      textEnds: this.textEnds.done(),
      nameHashes: hashOrder.map((i) => hashes[i]!),
      namePositions: hashOrder.map((i) => hashed[i]!),
      v4Keys: Float64Array.from(v4Order, (i) => v4[i]!),
      v4Positions: v4Order.map((i) => v4Positions[i]!),
      v6Keys,
      v6Positions: v6Order.map((i) => v6Positions[i]!),
      patternPositions: this.patterns.done(),
    };
  }
}

/** Indices 0..n-1 sorted by `compare`, equal ones kept in entry order. */
function sortedOrder(n: number, compare: (a: number, b: number) => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => compare(a, b) || a - b);
}

/** Builds the tables of all lists from entries given in order; throws on an entry it cannot read, naming it. */
export class ListTablesBuilder {
  private readonly lists: Record<ListName, ListTableBuilder>;

  constructor(sizes?: Partial<Record<ListName, ListSizes>>) {
    this.lists = Object.fromEntries(LIST_NAMES.map((name) => [name, new ListTableBuilder(sizes?.[name])])) as Record<ListName, ListTableBuilder>;
  }

  add(entry: { id: number; list: ListName; kind: ListKind; pattern: string; expiresAt: number | null }): void {
    const list = this.lists[entry.list];
    // The database allows only the three lists; another name is asked about by no one.
    if (!list) return;
    list.add(entry.id, entry.kind, entry.pattern, entry.expiresAt);
  }

  build(): ListTables {
    return Object.fromEntries(LIST_NAMES.map((name) => [name, this.lists[name].build()])) as ListTables;
  }
}

export function listTablesOf(entries: Iterable<{ id: number; list: ListName; kind: ListKind; pattern: string; expiresAt: number | null }>): ListTables {
  const builder = new ListTablesBuilder();
  for (const entry of entries) builder.add(entry);
  return builder.build();
}

/** The buffers to transfer when the tables move to another thread. */
export function tableBuffers(tables: ListTables): ArrayBuffer[] {
  return Object.values(tables).flatMap((table) =>
    Object.values(table)
      .filter((value): value is Float64Array | Uint32Array | Uint8Array => ArrayBuffer.isView(value))
      .map((view) => view.buffer as ArrayBuffer),
  );
}
