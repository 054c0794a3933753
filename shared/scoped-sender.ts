import { getDomain } from 'tldts';
import { normaliseDomain, unicodeDomain } from './idn.js';
import { formatNetwork, parseIp, parseNetwork, type Network } from './net.js';

/**
 * A sender domain accepted only from some clients (the sender-domain-scoped list kind): from client
 * networks, or via clients whose forward-confirmed hostname is a provider's name or ends in it.
 * Written as people read it:
 *
 *   cloudmail.example from 192.0.2.0/24, 198.51.100.0/22
 *   cloudmail.example via outbound.cloudmail.example
 *
 * A sender domain alone can be forged by anyone; a client network cannot be forged over TCP, and a
 * forward-confirmed name only by whoever controls both the reverse and the forward zone.
 */
export type ScopedSender = { domain: string; networks: Network[]; via?: undefined } | { domain: string; via: string; networks?: undefined };

const KIND = 'sender-domain-scoped';
const EXAMPLE_NETWORK = '192.0.2.0/24';
const EXAMPLE_SUFFIX = 'outbound.cloudmail.example';

const isPublicSuffix = (domain: string) => getDomain(domain, { allowPrivateDomains: false }) === null;

function senderDomain(text: string): string {
  if (text.includes('@')) throw new Error(`"${text}" contains @: the sender domain of a ${KIND} entry is a domain only`);
  const domain = normaliseDomain(text);
  if (isPublicSuffix(domain) && !parseIp(domain)) {
    throw new Error(`"${domain}" is a public suffix, not one sender's domain: every sender under it would match; for all mail from those clients, use a client-address or client-name entry`);
  }
  return domain;
}

function clientNetworks(domain: string, text: string): Network[] {
  const tokens = text.split(/[\s,]+/).filter((token) => token !== '');
  if (tokens.length === 0) throw new Error(`"${domain} from" names no client network after "from"; e.g. "${domain} from ${EXAMPLE_NETWORK}"`);
  const networks = new Map<string, Network>();
  for (const token of tokens) {
    let network: Network;
    try {
      network = parseNetwork(token);
    } catch (error) {
      const hostname = /[a-z]/i.test(token) && !token.includes(':') ? `; for clients named under a hostname, write "${domain} via ${token.toLowerCase()}"` : '';
      throw new Error(`${(error as Error).message}${hostname}`);
    }
    if (network.prefix === 0) {
      throw new Error(`${formatNetwork(network)} is every IPv${network.family} client: the domain from anywhere, which anyone can forge; name the sender's networks, or use a sender-domain entry if that is truly meant`);
    }
    networks.set(formatNetwork(network), network);
  }
  return [...networks.values()];
}

function hostnameSuffix(domain: string, text: string): string {
  const tokens = text.split(/[\s,]+/).filter((token) => token !== '');
  if (tokens.length === 0) throw new Error(`"${domain} via" names no client hostname suffix after "via"; e.g. "${domain} via ${EXAMPLE_SUFFIX}"`);
  if (tokens.length > 1) throw new Error(`"via" takes one hostname suffix, not "${tokens.join(' ')}": add one entry per provider`);
  const token = tokens[0]!;
  if (parseIp(token) || /^[\d./]+$/.test(token) || token.includes(':')) {
    throw new Error(`"${token}" is an address, not a hostname: write "${domain} from ${token}" for client networks`);
  }
  const suffix = normaliseDomain(token);
  if (isPublicSuffix(suffix)) {
    throw new Error(`"${suffix}" is a public suffix: every client named under it would match; give the provider's hostname suffix, e.g. ${EXAMPLE_SUFFIX}`);
  }
  return suffix;
}

/** Reads "DOMAIN from NETWORKS" or "DOMAIN via HOSTNAME-SUFFIX" (keywords in any case), or throws an Error that says what is wrong. */
export function parseScopedSender(text: string): ScopedSender {
  const trimmed = text.trim();
  const match = /^(\S+)\s+(from|via)(?:\s+(.*))?$/is.exec(trimmed);
  if (!match) {
    if (/\s/.test(trimmed)) throw new Error(`"${trimmed}" is not "DOMAIN from NETWORKS" or "DOMAIN via HOSTNAME-SUFFIX"`);
    const domain = senderDomain(trimmed);
    throw new Error(
      `a ${KIND} entry says from which clients: write "${domain} from ${EXAMPLE_NETWORK}" (client networks) or "${domain} via ${EXAMPLE_SUFFIX}" (client hostname suffix); for the domain from any client, use a sender-domain entry`,
    );
  }
  const domain = senderDomain(match[1]!);
  const rest = match[3] ?? '';
  return match[2]!.toLowerCase() === 'from' ? { domain, networks: clientNetworks(domain, rest) } : { domain, via: hostnameSuffix(domain, rest) };
}

export function formatScopedSender(scoped: ScopedSender): string {
  return scoped.via !== undefined ? `${scoped.domain} via ${scoped.via}` : `${scoped.domain} from ${scoped.networks.map(formatNetwork).join(', ')}`;
}

/** The canonical form of a typed entry, or an Error. */
export function normaliseScopedSender(text: string): string {
  return formatScopedSender(parseScopedSender(text));
}

/** The sender domain of a stored (canonical) entry: the text before its first space. */
export function scopedSenderDomain(pattern: string): string {
  const space = pattern.indexOf(' ');
  return space === -1 ? pattern : pattern.slice(0, space);
}

/** A stored entry as people read it when it holds an internationalised domain, or undefined. */
export function unicodeScopedSender(pattern: string): string | undefined {
  let scoped: ScopedSender;
  try {
    scoped = parseScopedSender(pattern);
  } catch {
    return undefined;
  }
  const domain = unicodeDomain(scoped.domain);
  const via = scoped.via === undefined ? undefined : unicodeDomain(scoped.via);
  if (domain === undefined && via === undefined) return undefined;
  return formatScopedSender(scoped.via !== undefined ? { domain: domain ?? scoped.domain, via: via ?? scoped.via } : { domain: domain ?? scoped.domain, networks: scoped.networks });
}
