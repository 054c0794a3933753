import { compilePattern, LIST_KINDS, LIST_NAMES, type ListEntry, type ListKind, type ListName } from '../../shared/lists.js';
import { clientAddressBytes, formatNetwork } from '../../shared/net.js';
import { parseScopedSender } from '../../shared/scoped-sender.js';
import { KIND_CODE, listTablesOf, maskByte, nameHash, networkOf, type ListTable, type ListTables } from '../store/list-tables.js';

/** What a request offers to the lists, computed once per request. */
export interface MatchSubject {
  clientAddress: string;
  /** Verified client hostname, lower-case; empty when Postfix said "unknown". */
  clientName: string;
  /** Lower-case envelope addresses; the sender is empty for a bounce. */
  sender: string;
  recipient: string;
}

/** The entry that decided: what a decision records and names. */
export type ListHit = Pick<ListEntry, 'id' | 'list' | 'kind' | 'pattern' | 'expiresAt'>;

type Regex = ReturnType<typeof compilePattern>;

function splitAddress(address: string): { local: string; base: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  return { local, base: plus > 0 ? local.slice(0, plus) : local, domain: address.slice(at + 1) };
}

function* domainSuffixes(domain: string): Generator<string> {
  let rest = domain;
  while (rest) {
    yield rest;
    const dot = rest.indexOf('.');
    if (dot === -1) return;
    rest = rest.slice(dot + 1);
  }
}

const NONE = -1;
const decoder = new TextDecoder();

/** The clients of a sender-domain-scoped entry, read once from its pattern: networks as masked bytes, or a hostname suffix. */
interface ClientScope {
  domain: string;
  networks: Array<{ prefix: number; bytes: number[] }>;
  via: string | undefined;
}

function scopeOf(pattern: string): ClientScope | undefined {
  try {
    const scoped = parseScopedSender(pattern);
    return { domain: scoped.domain, networks: (scoped.networks ?? []).map((network) => networkOf(formatNetwork(network))), via: scoped.via };
  } catch {
    // Written by other means and unreadable: it matches nothing rather than everything.
    return undefined;
  }
}

function inNetwork(bytes: readonly number[], network: { prefix: number; bytes: number[] }): boolean {
  if (bytes.length !== network.bytes.length) return false;
  for (let i = 0; i * 8 < network.prefix; i++) if ((bytes[i]! & maskByte(network.prefix, i)) !== network.bytes[i]) return false;
  return true;
}

/** A client is in scope by its address, or by a verified name that is the suffix or ends in "." and the suffix (never "evil-" + suffix). */
function inScope(scope: ClientScope, clientBytes: () => readonly number[] | undefined, clientName: string): boolean {
  const bytes = scope.networks.length > 0 ? clientBytes() : undefined;
  if (bytes && scope.networks.some((network) => inNetwork(bytes, network))) return true;
  const via = scope.via;
  return via !== undefined && clientName !== '' && (clientName === via || (clientName.length > via.length && clientName.endsWith(via) && clientName[clientName.length - via.length - 1] === '.'));
}

/** First index in [from, to) whose value is not below `key`, in a sorted array. */
function lowerBound(values: ArrayLike<number>, key: number, from: number, to: number): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (values[mid]! < key) from = mid + 1;
    else to = mid;
  }
  return from;
}

/** One list's lookups over its tables; what it allocates per lookup is a few short strings. */
class CompiledList {
  /** Where the IPv4 networks of each prefix length (0-32) start in v4Keys; [33] is the end. */
  private readonly v4Starts = new Int32Array(34);
  /** The same for IPv6 (0-128), by entries of five words. */
  private readonly v6Starts = new Int32Array(130);
  /** Compiled regexes of patternPositions, in the same order. */
  private readonly regexes: Regex[];

  constructor(readonly table: ListTable, compile: (pattern: string) => Regex) {
    for (let prefix = 0; prefix <= 33; prefix++) this.v4Starts[prefix] = lowerBound(table.v4Keys, prefix * 2 ** 32, 0, table.v4Keys.length);
    for (let prefix = 0; prefix <= 129; prefix++) {
      let [from, to] = [0, table.v6Positions.length];
      while (from < to) {
        const mid = (from + to) >>> 1;
        if (table.v6Keys[mid * 5]! < prefix) from = mid + 1;
        else to = mid;
      }
      this.v6Starts[prefix] = from;
    }
    this.regexes = Array.from(table.patternPositions, (position) => compile(this.pattern(position)));
  }

  pattern(position: number): string {
    const { text, textEnds } = this.table;
    return decoder.decode(text.subarray(position === 0 ? 0 : textEnds[position - 1], textEnds[position]));
  }

  live(position: number, now: number): boolean {
    const expires = this.table.expires[position]!;
    return Number.isNaN(expires) || expires > now;
  }

  /** The first live entry whose network holds the address. */
  network(bytes: number[], now: number): number {
    const { table } = this;
    let best = NONE;
    const consider = (position: number) => {
      if ((best === NONE || position < best) && this.live(position, now)) best = position;
    };
    if (bytes.length === 4) {
      const address = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
      for (let prefix = 0; prefix <= 32; prefix++) {
        const from = this.v4Starts[prefix]!;
        const to = this.v4Starts[prefix + 1]!;
        if (from === to) continue;
        const masked = prefix === 0 ? 0 : ((address >>> (32 - prefix)) * 2 ** (32 - prefix));
        const key = prefix * 2 ** 32 + masked;
        for (let i = lowerBound(table.v4Keys, key, from, to); i < to && table.v4Keys[i] === key; i++) consider(table.v4Positions[i]!);
      }
    } else {
      const words = [0, 4, 8, 12].map((b) => ((bytes[b]! << 24) | (bytes[b + 1]! << 16) | (bytes[b + 2]! << 8) | bytes[b + 3]!) >>> 0);
      for (let prefix = 0; prefix <= 128; prefix++) {
        const from = this.v6Starts[prefix]!;
        const to = this.v6Starts[prefix + 1]!;
        if (from === to) continue;
        const masked = words.map((word, w) => {
          const bits = Math.min(32, Math.max(0, prefix - w * 32));
          return bits === 0 ? 0 : bits === 32 ? word : ((word >>> (32 - bits)) * 2 ** (32 - bits));
        });
        for (let i = this.v6LowerBound(masked, from, to); i < to && this.v6Equals(i, masked); i++) consider(table.v6Positions[i]!);
      }
    }
    return best;
  }

  private v6Compare(index: number, words: number[]): number {
    for (let w = 0; w < 4; w++) {
      const difference = this.table.v6Keys[index * 5 + 1 + w]! - words[w]!;
      if (difference !== 0) return difference;
    }
    return 0;
  }

  private v6Equals(index: number, words: number[]): boolean {
    return this.v6Compare(index, words) === 0;
  }

  private v6LowerBound(words: number[], from: number, to: number): number {
    while (from < to) {
      const mid = (from + to) >>> 1;
      if (this.v6Compare(mid, words) < 0) from = mid + 1;
      else to = mid;
    }
    return from;
  }

  /** The first live entry of `kind` whose pattern is `value`. */
  exact(kind: ListKind, value: string, now: number): number {
    const { table } = this;
    const code = KIND_CODE[kind];
    const hash = nameHash(code, value);
    let best = NONE;
    for (let i = lowerBound(table.nameHashes, hash, 0, table.nameHashes.length); i < table.nameHashes.length && table.nameHashes[i] === hash; i++) {
      const position = table.namePositions[i]!;
      if ((best === NONE || position < best) && table.kinds[position] === code && this.live(position, now) && this.pattern(position) === value) best = position;
    }
    return best;
  }

  /** Scopes of the sender-domain-scoped entries looked at so far, by position: few entries, read on first use. */
  private readonly scopes = new Map<number, ClientScope | undefined>();

  /** The first live sender-domain-scoped entry for exactly `domain` whose clients include this one. */
  scoped(domain: string, clientBytes: () => readonly number[] | undefined, clientName: string, now: number): number {
    const { table } = this;
    const code = KIND_CODE['sender-domain-scoped'];
    const hash = nameHash(code, domain);
    let best = NONE;
    for (let i = lowerBound(table.nameHashes, hash, 0, table.nameHashes.length); i < table.nameHashes.length && table.nameHashes[i] === hash; i++) {
      const position = table.namePositions[i]!;
      if ((best !== NONE && position > best) || table.kinds[position] !== code || !this.live(position, now)) continue;
      if (!this.scopes.has(position)) this.scopes.set(position, scopeOf(this.pattern(position)));
      const scope = this.scopes.get(position);
      if (scope && scope.domain === domain && inScope(scope, clientBytes, clientName)) best = position;
    }
    return best;
  }

  /** The first live regex of `kind` found in `text`. */
  search(kind: ListKind, text: string, now: number): number {
    const { table } = this;
    const code = KIND_CODE[kind];
    for (let i = 0; i < this.regexes.length; i++) {
      const position = table.patternPositions[i]!;
      if (table.kinds[position] === code && this.live(position, now) && this.regexes[i]!.test(text)) return position;
    }
    return NONE;
  }
}

export class ListMatcher {
  private readonly lists: Record<ListName, CompiledList>;
  /** Compiled regexes by source, lent to the next matcher so that a reload compiles only new ones. */
  private readonly regexes = new Map<string, Regex>();

  /** `previous`: the matcher this one replaces, whose compiled regexes are reused. */
  constructor(source: ListTables | readonly ListHit[], previous?: ListMatcher) {
    const tables = Array.isArray(source) ? listTablesOf(source as readonly ListHit[]) : (source as ListTables);
    const compile = (pattern: string) => {
      let regex = this.regexes.get(pattern) ?? previous?.regexes.get(pattern);
      if (!regex) regex = compilePattern(pattern);
      this.regexes.set(pattern, regex);
      return regex;
    };
    this.lists = Object.fromEntries(LIST_NAMES.map((name) => [name, new CompiledList(tables[name], compile)])) as Record<ListName, CompiledList>;
  }

  size(list: ListName): number {
    return this.lists[list].table.count;
  }

  /** The first entry of `list` that applies to the subject now, or undefined. */
  match(listName: ListName, subject: MatchSubject, now: number): ListHit | undefined {
    const list = this.lists[listName];
    if (list.table.count === 0) return undefined;
    const found = this.find(list, subject, now);
    if (found === NONE) return undefined;
    const expires = list.table.expires[found]!;
    return {
      id: list.table.ids[found]!,
      list: listName,
      kind: LIST_KINDS[list.table.kinds[found]!]!,
      pattern: list.pattern(found),
      expiresAt: Number.isNaN(expires) ? null : expires,
    };
  }

  private find(list: CompiledList, subject: MatchSubject, now: number): number {
    const firstOf = (...candidates: Array<() => number>) => {
      for (const candidate of candidates) {
        const position = candidate();
        if (position !== NONE) return position;
      }
      return NONE;
    };
    const bySuffix = (kind: ListKind, domain: string) => {
      for (const suffix of domainSuffixes(domain)) {
        const position = list.exact(kind, suffix, now);
        if (position !== NONE) return position;
      }
      return NONE;
    };

    if (list.table.v4Keys.length + list.table.v6Positions.length > 0) {
      const bytes = clientAddressBytes(subject.clientAddress);
      const hit = bytes ? list.network(bytes, now) : NONE;
      if (hit !== NONE) return hit;
    }
    if (subject.clientName) {
      const hit = bySuffix('client-name', subject.clientName);
      if (hit !== NONE) return hit;
    }
    const sender = splitAddress(subject.sender);
    if (sender) {
      const hit = firstOf(
        () => list.exact('sender-address', subject.sender, now),
        () => list.exact('sender-address', `${sender.base}@${sender.domain}`, now),
        () => bySuffix('sender-domain', sender.domain),
        () => {
          let bytes: number[] | undefined | null = null;
          const clientBytes = () => (bytes === null ? (bytes = clientAddressBytes(subject.clientAddress)) : bytes);
          for (const suffix of domainSuffixes(sender.domain)) {
            const position = list.scoped(suffix, clientBytes, subject.clientName, now);
            if (position !== NONE) return position;
          }
          return NONE;
        },
      );
      if (hit !== NONE) return hit;
    }
    const recipient = splitAddress(subject.recipient);
    if (recipient) {
      const hit = firstOf(
        () => list.exact('recipient-address', subject.recipient, now),
        () => list.exact('recipient-address', `${recipient.base}@${recipient.domain}`, now),
        () => list.exact('recipient-user', `${recipient.local}@`, now),
        () => list.exact('recipient-user', `${recipient.base}@`, now),
        () => bySuffix('recipient-domain', recipient.domain),
      );
      if (hit !== NONE) return hit;
    }
    const searched: Array<[ListKind, string]> = [
      ['client-name-pattern', subject.clientName],
      ['sender-pattern', subject.sender],
      ['recipient-pattern', subject.recipient],
    ];
    for (const [kind, text] of searched) {
      if (!text) continue;
      const hit = list.search(kind, text, now);
      if (hit !== NONE) return hit;
    }
    return NONE;
  }
}
