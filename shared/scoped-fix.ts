import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import { formatNetwork, parseNetwork, type Network } from './net.js';
import { counted } from './plural.js';
import { formatScopedSender } from './scoped-sender.js';

/**
 * The one-click "allow this sender domain" of mail at risk, chosen from its evidence so that the
 * entry lets in that domain from where its mail came from, and nothing else: via the provider's
 * hostname suffix when every client had a forward-confirmed name of one provider, else from the
 * smallest network covering its client networks (never wider than WIDEST_COVER), else from the
 * networks seen. The screens label the fix with it and the fix adds it: one choice, made here.
 */
export interface ScopedFixEvidence {
  /** The registrable sender domain; "" for a bounce. */
  senderDomain: string;
  clientGroups: readonly string[];
  /** Every attempt's client; its name "unknown" when Postfix could not verify one. */
  clients: ReadonlyArray<{ clientAddress: string; clientName: string }>;
}

export type ScopedFixOffer = { pattern: string; label: string; effect: string } | { unavailable: string };

/** A covering network wider than this lets in the domain from far more clients than its mail came from. */
export const WIDEST_COVER: Record<4 | 6, number> = { 4: 16, 6: 32 };

const verifiedName = (name: string) => {
  const clean = name.trim().toLowerCase().replace(/\.$/, '');
  return clean === 'unknown' ? '' : clean;
};

/** The labels every name ends with, joined: "outbound.cloudmail.example" for mta-1.eu.outbound… and mta-2.us.outbound…. */
function commonSuffix(names: readonly string[]): string {
  const split = names.map((name) => name.split('.').reverse());
  const shortest = Math.min(...split.map((labels) => labels.length));
  let n = 0;
  while (n < shortest && split.every((labels) => labels[n] === split[0]![n])) n++;
  return split[0]!.slice(0, n).reverse().join('.');
}

/** The hostname suffix of one provider that every client's verified name is or ends in, or undefined. */
function providerSuffix(clients: ScopedFixEvidence['clients']): string | undefined {
  if (clients.length === 0) return undefined;
  const names = [...new Set(clients.map((c) => verifiedName(c.clientName)))];
  if (names.some((name) => name === '')) return undefined;
  const providers = new Set(names.map((name) => getDomain(name, { allowPrivateDomains: false })));
  const provider = [...providers][0];
  if (providers.size !== 1 || !provider) return undefined;
  // Every name ends in the provider's registrable domain, so the common suffix holds it at least.
  return commonSuffix(names);
}

function bytesOf(network: Network): number[] {
  return ipaddr.parse(network.address).toByteArray();
}

/** The smallest network holding all of `networks` (one family). */
function covering(networks: readonly Network[]): Network {
  const all = networks.map(bytesOf);
  let prefix = Math.min(...networks.map((n) => n.prefix));
  const first = all[0]!;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (all.some((bytes) => (bytes[bit >> 3]! & mask) !== (first[bit >> 3]! & mask))) {
      prefix = bit;
      break;
    }
  }
  return parseNetwork(`${ipaddr.fromByteArray(first).toString()}/${prefix}`);
}

/** "/16, 65,536 addresses"; IPv6 counted in /64 networks, the unit clients are grouped by. */
export function networkSize(network: Network): string {
  if (network.family === 4) return `/${network.prefix}, ${counted(2 ** (32 - network.prefix), 'address', 'addresses')}`;
  if (network.prefix <= 64) return `/${network.prefix}, ${counted(2 ** (64 - network.prefix), '/64 network')}`;
  return `/${network.prefix}, ${counted(2 ** (128 - network.prefix), 'address', 'addresses')}`;
}

function totalSize(networks: readonly Network[]): string {
  const v4 = networks.filter((n) => n.family === 4).reduce((sum, n) => sum + 2 ** (32 - n.prefix), 0);
  const v6 = networks.filter((n) => n.family === 6).reduce((sum, n) => sum + 2 ** Math.max(0, 64 - n.prefix), 0);
  return [v4 ? counted(v4, 'address', 'addresses') : '', v6 ? counted(v6, '/64 network') : ''].filter(Boolean).join(' and ');
}

const all = (items: readonly string[]) => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
const some = (items: readonly string[]) => (items.length <= 2 ? items.join(' and ') : `${items.slice(0, 2).join(', ')} and ${items.length - 2} more`);

export function scopedAllowOffer({ senderDomain: domain, clientGroups, clients }: ScopedFixEvidence): ScopedFixOffer {
  if (!domain) return { unavailable: 'a bounce (empty sender) has no sender domain; allow the client network instead' };
  const suffix = providerSuffix(clients);
  if (suffix) {
    const names = [...new Set(clients.map((c) => verifiedName(c.clientName)))];
    return {
      pattern: formatScopedSender({ domain, via: suffix }),
      label: `Allow ${domain} via ${suffix}`,
      effect: `Mail from ${domain} (and its subdomains) skips greylisting when the client's forward-confirmed hostname is ${suffix} or ends in .${suffix}, as every client of this mail's did (${names.length === 1 ? names[0] : `${names[0]} and ${names.length - 1} more`}). Other senders from those clients, ${domain} from other clients, and clients without a verified name are still greylisted.`,
    };
  }

  const seen = new Map<string, Network>();
  for (const group of clientGroups) {
    try {
      const network = parseNetwork(group);
      seen.set(formatNetwork(network), network);
    } catch {
      // a client group that is not an address (a request without one) names no network
    }
  }
  if (seen.size === 0) return { unavailable: 'no client network of this mail was recorded' };
  const chosen: Network[] = [];
  const tooWide: string[] = [];
  for (const family of [4, 6] as const) {
    const networks = [...seen.values()].filter((n) => n.family === family);
    if (networks.length === 0) continue;
    const cover = covering(networks);
    if (cover.prefix >= WIDEST_COVER[family]) chosen.push(cover);
    else {
      chosen.push(...networks);
      tooWide.push(`Their smallest common network, ${formatNetwork(cover)} (${networkSize(cover)}), is wider than a /${WIDEST_COVER[family]}: only the networks seen are allowed, so a retry from another network is still greylisted.`);
    }
  }
  const groups = [...seen.keys()];
  const shown = chosen.map((n) => `${formatNetwork(n)} (${networkSize(n)})`);
  const where = chosen.map(formatNetwork);
  const origin =
    tooWide.length > 0 || (chosen.length === groups.length && where.every((w, i) => w === groups[i]))
      ? `from ${some(where)}, the ${groups.length === 1 ? 'network' : 'networks'} it came from.`
      : `from ${some(where)}, the smallest ${chosen.length === 1 ? 'network' : 'networks'} holding the ${counted(groups.length, 'network')} it came from (${some(groups)}), so that its retries from other addresses of ${chosen.length === 1 ? 'that network' : 'those networks'} pass too.`;
  const why = clients.length > 0 ? ' Not every client had a forward-confirmed name of one provider, so the entry names a network.' : '';
  return {
    pattern: formatScopedSender({ domain, networks: chosen }),
    label: chosen.length <= 3 ? `Allow ${domain} from ${all(shown)}` : `Allow ${domain} from ${chosen.length} client networks (${totalSize(chosen)})`,
    effect: [`Mail from ${domain} (and its subdomains) skips greylisting ${origin}${why}`, ...tooWide, `Other senders from there, and ${domain} from elsewhere, are still greylisted.`].join(' '),
  };
}
