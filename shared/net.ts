import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

export interface Network {
  family: IpFamily;
  /** Canonical text of the network address, e.g. "192.0.2.0" or "2001:db8::". */
  address: string;
  prefix: number;
}

/**
 * A client address as Postfix writes it: a dotted quad or an IPv6 address (an IPv4-mapped one read
 * as IPv4). Anything else is not an address, the same for list entries, the list matcher and the
 * client grouping.
 */
export function parseIp(text: string): { family: IpFamily; address: string } | undefined {
  const trimmed = text.trim();
  // ipaddr.js keeps a zone (fe80::1%eth0) that its canonical text then drops; no mail client has one
  if (trimmed.includes('%') || !ipaddr.isValid(trimmed)) return undefined;
  // ipaddr.js accepts legacy forms like "10" or "0x7f.1"; mail servers and people mean dotted quads.
  if (ipaddr.IPv4.isValid(trimmed) && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return undefined;
  let addr = ipaddr.parse(trimmed);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return { family: addr.kind() === 'ipv4' ? 4 : 6, address: addr.toString() };
}

/** An address or CIDR ("192.0.2.7", "192.0.2.0/24", "2001:db8::/32"), normalised to its network. */
export function parseNetwork(text: string): Network {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const ip = parseIp(slash === -1 ? trimmed : trimmed.slice(0, slash));
  if (!ip && trimmed.includes('%')) {
    throw new Error(`"${trimmed}" has a zone index (%…): it names an interface of this host, which a mail client's address never has; write the address without it`);
  }
  if (!ip) throw new Error(`"${trimmed}" is not an IPv4 or IPv6 address or CIDR network`);
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      throw new Error(`"${trimmed}": the prefix length must be a number from 0 to ${max}`);
    }
    prefix = Number(prefixText);
  }
  return { family: ip.family, address: networkAddress(ip.address, prefix), prefix };
}

export function formatNetwork(network: Network): string {
  const max = network.family === 4 ? 32 : 128;
  return network.prefix === max ? network.address : `${network.address}/${network.prefix}`;
}

/** The network address of `address` masked to `prefix` bits. */
export function networkAddress(address: string, prefix: number): string {
  const addr = ipaddr.parse(address);
  const bytes = addr.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes).toString();
}

// No leading zeros: 010 is octal 8 to inet_aton, and Postfix never writes one.
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The four bytes of a dotted-quad IPv4 address, without ipaddr.js: this runs for every request. */
export function ipv4Bytes(text: string): number[] | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (!match) return undefined;
  const bytes = [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4])];
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** The bytes of a client address read as parseIp reads it (4 or 16), or undefined when it is not one. */
export function clientAddressBytes(text: string): number[] | undefined {
  const v4 = ipv4Bytes(text);
  if (v4) return v4;
  const ip = parseIp(text);
  return ip ? ipaddr.parse(ip.address).toByteArray() : undefined;
}

/**
 * The bytes of an IPv6 address in plain hex form (no zone, no dotted or hex-mapped IPv4), parsed
 * once: parseIp's general path parses it four times, a few hundred times slower for a replay
 * that groups every client of the log.
 */
function plainIpv6Bytes(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.includes(':') || trimmed.includes('%') || trimmed.includes('.')) return undefined;
  try {
    const ip = ipaddr.IPv6.parse(trimmed);
    return ip.isIPv4MappedAddress() ? undefined : ip.toByteArray();
  } catch {
    return undefined;
  }
}

function masked(bytes: number[], prefix: number): number[] {
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return bytes;
}

/** Greylisting groups clients by network so that a sender's retry from a sibling address still counts. */
export function clientGroup(address: string, prefixV4: number, prefixV6: number): string {
  const v4 = ipv4Bytes(address);
  if (v4) {
    if (prefixV4 === 32) return address;
    const masked = v4.map((byte, i) => byte & (0xff << Math.min(8, Math.max(0, 8 - (prefixV4 - i * 8)))) & 0xff);
    return `${masked.join('.')}/${prefixV4}`;
  }
  const v6 = plainIpv6Bytes(address);
  if (v6) return formatNetwork({ family: 6, address: ipaddr.fromByteArray(masked(v6, prefixV6)).toString(), prefix: prefixV6 });
  const ip = parseIp(address);
  if (!ip) return address.trim().toLowerCase();
  const prefix = ip.family === 4 ? prefixV4 : prefixV6;
  return formatNetwork({ family: ip.family, address: networkAddress(ip.address, prefix), prefix });
}

export function networkContains(network: Network, address: string): boolean {
  const ip = parseIp(address);
  if (!ip || ip.family !== network.family) return false;
  return networkAddress(ip.address, network.prefix) === network.address;
}
