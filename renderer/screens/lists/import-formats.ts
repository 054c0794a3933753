import type { PostgreyFormat } from '../../../shared/postgrey-lists.js';

export const FORMAT_LABELS: Record<PostgreyFormat, { title: string; help: string }> = {
  'postgrey-clients': { title: 'postgrey whitelist_clients', help: 'client addresses, networks, hostnames and /regex/ for hostnames' },
  'postgrey-recipients': { title: 'postgrey whitelist_recipients', help: 'recipient addresses, user@, domains and /regex/' },
};

/** postgrey's own file names say which format a file is in. */
export function guessFormat(fileName: string): PostgreyFormat | undefined {
  if (/recipient/i.test(fileName)) return 'postgrey-recipients';
  if (/client/i.test(fileName)) return 'postgrey-clients';
  return undefined;
}
