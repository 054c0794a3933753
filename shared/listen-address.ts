import { parseIp, type IpFamily } from './net.js';

/** Where the filter answers over TCP. `ip` is set when the host is an address rather than a name. */
export interface ListenAddress {
  host: string;
  port: number;
  ip?: { family: IpFamily; address: string };
}

const HOSTNAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** sun_path holds 108 bytes on Linux, the last one a NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Reads HOST:PORT as `greyward filter --listen` and the listen setting take it. Port 0 (any free
 * port) only where the caller can learn the port afterwards: Postfix cannot.
 */
export function parseListenAddress(text: string, { anyPort = false } = {}): ListenAddress {
  const trimmed = text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(trimmed);
  const host = match ? (match[1] ?? match[2]!) || '127.0.0.1' : '';
  const ip = parseIp(host);
  const bracketedNotV6 = match?.[1] !== undefined && ip?.family !== 6;
  const looksNumeric = /^[\d.]+$/.test(host);
  if (!match || bracketedNotV6 || (!ip && (looksNumeric || !HOSTNAME.test(host)))) {
    throw new Error(`"${text}" is not a listen address; write HOST:PORT, e.g. 127.0.0.1:10023 or [::1]:10023`);
  }
  const port = Number(match[3]);
  if (port > 65535 || (port === 0 && !anyPort)) {
    throw new Error(`"${text}": port ${port} is out of range: 1 to 65535${port === 0 ? ' (port 0 picks a random port, which Postfix cannot know)' : ''}`);
  }
  return { host, port, ...(ip ? { ip } : {}) };
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** What can be told of a UNIX socket path without looking at the disk. */
export function checkSocketPathText(path: string): void {
  // The filter may be started from another directory than the one the setting was typed in.
  if (!path.startsWith('/')) throw new Error(`"${path}" is not an absolute path: write the socket's whole path, e.g. /var/spool/postfix/greyward/policy.sock`);
  if (utf8Length(path) > MAX_SOCKET_PATH_BYTES) throw new Error(`"${path}" is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the most a UNIX socket path may have`);
  if (path.endsWith('/')) throw new Error(`"${path}" names a directory: add the socket's file name`);
}
