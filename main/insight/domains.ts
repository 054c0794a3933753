import { getDomain } from 'tldts';

/** The domain part of an address ("" for the empty sender of a bounce). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1).toLowerCase();
}

/** The registrable domain (example.co.uk for mail.example.co.uk), so that a provider's hosts and subdomains count as one. */
export function registrableDomain(host: string): string {
  if (!host) return '';
  let domain = registrable.get(host);
  if (domain === undefined) {
    // The same providers' hosts come back thousands of times in a log; the public suffix walk is the slow part.
    if (registrable.size >= 500_000) registrable.clear();
    domain = getDomain(host, { allowPrivateDomains: false }) ?? host.toLowerCase();
    registrable.set(host, domain);
  }
  return domain;
}
const registrable = new Map<string, string>();

/** A verified client hostname, or "" when Postfix said "unknown". */
export function verifiedName(clientName: string): string {
  const name = clientName.trim().toLowerCase().replace(/\.$/, '');
  return name === 'unknown' ? '' : name;
}

export function ipFamilyOfGroup(clientGroup: string): 4 | 6 {
  return clientGroup.includes(':') ? 6 : 4;
}

/** "42 s", "17 min", "5 h", "3 d": for people, not for parsing. */
export function humanDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
