import { clientGroup } from '../../shared/net.js';
import { NumberMap } from '../../shared/number-map.js';

/** Group numbers are below this, so that a mail and a group make one number (mails are fewer than 2^27). */
export const GROUP_SPAN = 2 ** 26;

/** A dotted quad as clientGroup reads one (no leading zeros), as a 32-bit number; -1 for anything else. */
export function dottedQuad(text: string): number {
  let value = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 46 : text.charCodeAt(i);
    if (code === 46) {
      if (part === -1 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = -1;
    } else if (code >= 48 && code <= 57) {
      // A part is "0" or has no leading zero, and at most 255.
      if (part === 0) return -1;
      part = part === -1 ? code - 48 : part * 10 + code - 48;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/** Appends the words of lower-case hex groups of one to four digits separated by ":"; false for anything else. */
function hexGroups(text: string, into: number[]): boolean {
  if (text === '') return true;
  let word = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 58 : text.charCodeAt(i);
    if (code === 58) {
      if (digits === 0) return false;
      into.push(word);
      word = 0;
      digits = 0;
    } else {
      const value = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
      if (value === -1 || ++digits > 4) return false;
      word = word * 16 + value;
    }
  }
  return true;
}

/**
 * A plain IPv6 address as Postfix writes one (lower-case hex, at most one "::", no zone, no
 * embedded or mapped IPv4) as its eight 16-bit words; undefined for anything else, which
 * clientGroup is left to read.
 */
export function ipv6Words(text: string): number[] | undefined {
  const gap = text.indexOf('::');
  const head: number[] = [];
  const tail: number[] = [];
  if (gap === -1) {
    if (!hexGroups(text, head) || head.length !== 8) return undefined;
  } else {
    if (text.indexOf('::', gap + 1) !== -1) return undefined;
    if (!hexGroups(text.slice(0, gap), head) || !hexGroups(text.slice(gap + 2), tail) || head.length + tail.length > 7) return undefined;
    while (head.length + tail.length < 8) head.push(0);
    head.push(...tail);
  }
  const mapped = head[0] === 0 && head[1] === 0 && head[2] === 0 && head[3] === 0 && head[4] === 0 && head[5] === 0xffff;
  return mapped ? undefined : head;
}

/**
 * Client numbers to group numbers under one pair of prefixes, shared by the replays that group
 * alike. Two clients are in one group when clientGroup names the same group for both; a dotted
 * quad's or a plain IPv6 address's group is found by masking it, without making that name.
 */
export class Grouping {
  /** Per client number: its group number (-1: not computed yet). */
  private groupOf = new Int32Array(1024).fill(-1);
  /** IPv4 groups by their network's number, IPv6 ones by their masked words, every other group by its name. */
  private readonly v4Networks = new NumberMap();
  private readonly v6Networks = new Map<string, number>();
  private readonly named = new Map<string, number>();
  private groups = 0;
  private readonly hostBits: number;

  constructor(
    private readonly clients: readonly string[],
    private readonly prefixV4: number,
    private readonly prefixV6: number,
  ) {
    this.hostBits = 2 ** (32 - prefixV4);
  }

  group(client: number): number {
    if (client >= this.groupOf.length) {
      let size = this.groupOf.length;
      while (size <= client) size *= 2;
      const wider = new Int32Array(size).fill(-1);
      wider.set(this.groupOf);
      this.groupOf = wider;
    }
    let group = this.groupOf[client]!;
    if (group === -1) this.groupOf[client] = group = this.groupOfAddress(this.clients[client]!);
    return group;
  }

  private groupOfAddress(address: string): number {
    const quad = dottedQuad(address);
    if (quad !== -1) return this.v4Group(this.v4Network(quad));
    const words = ipv6Words(address);
    if (words) return this.v6Group(this.v6Network(words));
    // Another spelling of an address (an IPv4-mapped IPv6 one, say) can name the same group as a plain one.
    const name = clientGroup(address, this.prefixV4, this.prefixV6);
    const v4Suffix = this.prefixV4 === 32 ? '' : `/${this.prefixV4}`;
    const named4 = name.endsWith(v4Suffix) ? dottedQuad(name.slice(0, name.length - v4Suffix.length)) : -1;
    if (named4 !== -1 && this.v4Network(named4) === named4) return this.v4Group(named4);
    const v6Suffix = this.prefixV6 === 128 ? '' : `/${this.prefixV6}`;
    const named6 = name.endsWith(v6Suffix) ? ipv6Words(name.slice(0, name.length - v6Suffix.length)) : undefined;
    if (named6 && this.v6Network(named6.slice()) === String.fromCharCode(...named6)) return this.v6Group(String.fromCharCode(...named6));
    let group = this.named.get(name);
    if (group === undefined) this.named.set(name, (group = this.next()));
    return group;
  }

  /** The network number of an address number under the IPv4 prefix. */
  private v4Network(address: number): number {
    return Math.floor(address / this.hostBits) * this.hostBits;
  }

  /** The network of IPv6 words under the IPv6 prefix, as a string of its words. */
  private v6Network(words: number[]): string {
    for (let i = 0; i < 8; i++) {
      const bits = Math.min(16, Math.max(0, this.prefixV6 - i * 16));
      words[i] = bits === 0 ? 0 : words[i]! & (0xffff << (16 - bits)) & 0xffff;
    }
    return String.fromCharCode(...words);
  }

  private v4Group(network: number): number {
    let group = this.v4Networks.get(network);
    if (group === -1) this.v4Networks.set(network, (group = this.next()));
    return group;
  }

  private v6Group(network: string): number {
    let group = this.v6Networks.get(network);
    if (group === undefined) this.v6Networks.set(network, (group = this.next()));
    return group;
  }

  private next(): number {
    if (this.groups >= GROUP_SPAN) throw new Error(`the log has more than ${GROUP_SPAN} client networks to replay`);
    return this.groups++;
  }
}

/** Groupings by the clients they number and their prefixes: a kept log's clients are grouped once for all previews. */
const groupings = new WeakMap<readonly string[], Map<string, Grouping>>();

/** The grouping of `clients` (an array that only grows) under the prefixes, shared while the array lives. */
export function groupingOf(clients: readonly string[], prefixV4: number, prefixV6: number): Grouping {
  let byPrefixes = groupings.get(clients);
  if (!byPrefixes) groupings.set(clients, (byPrefixes = new Map()));
  const key = `${prefixV4}/${prefixV6}`;
  let grouping = byPrefixes.get(key);
  if (!grouping) byPrefixes.set(key, (grouping = new Grouping(clients, prefixV4, prefixV6)));
  return grouping;
}
