import { lookup } from 'node:dns/promises';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import { checkSocketPathText, parseListenAddress, type ListenAddress } from '../../shared/listen-address.js';
import { parseIp } from '../../shared/net.js';

function isLocalAddress(address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  if (ip.address === '0.0.0.0' || ip.address === '::') return true;
  // Linux answers for the whole of 127.0.0.0/8, though the interface lists 127.0.0.1 only.
  if (ip.family === 4 && ip.address.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((entry) => parseIp(entry.address.replace(/%.*$/, ''))?.address === ip.address));
}

async function checkListenHost({ host, ip }: ListenAddress): Promise<void> {
  if (ip) {
    if (!isLocalAddress(ip.address)) throw new Error(`${ip.address} is not an address of this machine: the filter could not listen on it (0.0.0.0 or [::] listen on every address)`);
    return;
  }
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((found) => found.address);
  } catch (error) {
    throw new Error(`${host} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the filter could not listen on it`);
  }
  if (!addresses.some(isLocalAddress)) throw new Error(`${host} (${addresses.join(', ')}) is not an address of this machine: the filter could not listen on it`);
}

function checkSocketPath(path: string): void {
  checkSocketPathText(path);
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
    return;
  }
  const directory = dirname(path);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new Error(`the directory ${directory} does not exist: create it first (the filter creates only the socket, in a directory Postfix's smtpd can reach)`);
  }
}

/**
 * Whether the filter can listen where it is told: the check `greyward filter` makes before it
 * binds, and that saving the listen or socket setting makes, so that a setting the filter
 * could not start with is refused where it is typed instead of crash-looping the filter.
 * Empty texts mean "not there". Throws with the reason.
 */
export async function checkEndpoints({ listen, socket }: { listen: string; socket: string }, { anyPort = false } = {}): Promise<ListenAddress | undefined> {
  let address: ListenAddress | undefined;
  if (listen) {
    address = parseListenAddress(listen, { anyPort });
    await checkListenHost(address);
  }
  if (socket) checkSocketPath(socket);
  return address;
}
