import ipaddr from 'ipaddr.js';
import { compilePattern, type ListEntry, type ListKind, type ListName } from '../../shared/lists.js';
import { clientAddressBytes, parseNetwork } from '../../shared/net.js';

/** What a request offers to the lists, computed once per request. */
export interface MatchSubject {
  clientAddress: string;
  /** Verified client hostname, lower-case; empty when Postfix said "unknown". */
  clientName: string;
  /** Lower-case envelope addresses; the sender is empty for a bounce. */
  sender: string;
  recipient: string;
}

interface CompiledNetwork {
  entry: ListEntry;
  bytes: number[];
  prefix: number;
}

interface CompiledPattern {
  entry: ListEntry;
  regex: ReturnType<typeof compilePattern>;
}

/** One list compiled for lookups that cost no more than the number of labels in a name. */
class CompiledList {
  readonly networks: CompiledNetwork[] = [];
  readonly exact = new Map<string, ListEntry[]>();
  readonly patterns = new Map<ListKind, CompiledPattern[]>();
  size = 0;

  add(entry: ListEntry): void {
    this.size++;
    if (entry.kind === 'client-address') {
      const network = parseNetwork(entry.pattern);
      this.networks.push({ entry, bytes: ipaddr.parse(network.address).toByteArray(), prefix: network.prefix });
    } else if (entry.kind.endsWith('-pattern')) {
      const list = this.patterns.get(entry.kind) ?? [];
      list.push({ entry, regex: compilePattern(entry.pattern) });
      this.patterns.set(entry.kind, list);
    } else {
      const key = `${entry.kind}\0${entry.pattern}`;
      const list = this.exact.get(key) ?? [];
      list.push(entry);
      this.exact.set(key, list);
    }
  }
}

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

function prefixMatches(address: number[], network: number[], prefix: number): boolean {
  if (address.length !== network.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole]! ^ network[whole]!) & mask) === 0;
}

export class ListMatcher {
  private readonly lists = new Map<ListName, CompiledList>();

  constructor(entries: readonly ListEntry[]) {
    for (const entry of entries) {
      let list = this.lists.get(entry.list);
      if (!list) this.lists.set(entry.list, (list = new CompiledList()));
      list.add(entry);
    }
  }

  size(list: ListName): number {
    return this.lists.get(list)?.size ?? 0;
  }

  /** The first entry of `list` that applies to the subject now, or undefined. */
  match(listName: ListName, subject: MatchSubject, now: number): ListEntry | undefined {
    const list = this.lists.get(listName);
    if (!list) return undefined;
    const live = (entry: ListEntry) => entry.expiresAt === null || entry.expiresAt > now;
    const exact = (kind: ListKind, value: string) => list.exact.get(`${kind}\0${value}`)?.find(live);

    if (list.networks.length > 0) {
      const bytes = clientAddressBytes(subject.clientAddress);
      if (bytes) {
        const hit = list.networks.find((n) => live(n.entry) && prefixMatches(bytes, n.bytes, n.prefix));
        if (hit) return hit.entry;
      }
    }
    if (subject.clientName) {
      for (const suffix of domainSuffixes(subject.clientName)) {
        const hit = exact('client-name', suffix);
        if (hit) return hit;
      }
    }
    const sender = splitAddress(subject.sender);
    if (sender) {
      const hit = exact('sender-address', subject.sender) ?? exact('sender-address', `${sender.base}@${sender.domain}`);
      if (hit) return hit;
      for (const suffix of domainSuffixes(sender.domain)) {
        const byDomain = exact('sender-domain', suffix);
        if (byDomain) return byDomain;
      }
    }
    const recipient = splitAddress(subject.recipient);
    if (recipient) {
      const hit =
        exact('recipient-address', subject.recipient) ??
        exact('recipient-address', `${recipient.base}@${recipient.domain}`) ??
        exact('recipient-user', `${recipient.local}@`) ??
        exact('recipient-user', `${recipient.base}@`);
      if (hit) return hit;
      for (const suffix of domainSuffixes(recipient.domain)) {
        const byDomain = exact('recipient-domain', suffix);
        if (byDomain) return byDomain;
      }
    }
    const searched: Array<[ListKind, string]> = [
      ['client-name-pattern', subject.clientName],
      ['sender-pattern', subject.sender],
      ['recipient-pattern', subject.recipient],
    ];
    for (const [kind, text] of searched) {
      if (!text) continue;
      const hit = list.patterns.get(kind)?.find((p) => live(p.entry) && p.regex.test(text));
      if (hit) return hit.entry;
    }
    return undefined;
  }
}
