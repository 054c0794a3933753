import type { ListFileFormat } from '../../../shared/list-files.js';

export const FORMAT_LABELS: Record<ListFileFormat, { title: string; help: string }> = {
  'postgrey-clients': { title: 'postgrey whitelist_clients', help: 'client addresses, networks, hostnames and /regex/ for hostnames' },
  'postgrey-recipients': { title: 'postgrey whitelist_recipients', help: 'recipient addresses, user@, domains and /regex/' },
  'sqlgrey-clients-ip': { title: 'sqlgrey clients_ip_whitelist', help: 'client addresses and networks (a.b.c for a /24)' },
  'sqlgrey-clients-fqdn': { title: 'sqlgrey clients_fqdn_whitelist', help: 'host names, *.domain and /regex/ for hostnames' },
};

/** postgrey's and sqlgrey's own file names say which format a file is in. */
export function guessFormat(fileName: string): ListFileFormat | undefined {
  if (/clients_ip_whitelist/i.test(fileName)) return 'sqlgrey-clients-ip';
  if (/clients_fqdn_whitelist/i.test(fileName)) return 'sqlgrey-clients-fqdn';
  if (/recipient/i.test(fileName)) return 'postgrey-recipients';
  if (/client/i.test(fileName)) return 'postgrey-clients';
  return undefined;
}
