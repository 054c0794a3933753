/**
 * The sender key of a triplet. Mailing lists and bounce-address schemes put a fresh token into
 * every envelope sender; without folding them each message would start a new triplet and be
 * greylisted again. Rules follow postgrey and sqlgrey.
 */
export function normaliseSender(sender: string): string {
  const address = sender.trim().toLowerCase().replace(/^<(.*)>$/, '$1');
  if (address === '') return '<>';
  const at = address.lastIndexOf('@');
  if (at === -1) return address;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);

  // SRS1=hash=forwarder==hash=tt=orig-domain=orig-local@forwarder2, SRS0=hash=tt=orig-domain=orig-local@forwarder
  const srs0 = /^srs0[=+-][^=]+=[^=]+=([^=]+)=(.+)$/.exec(local);
  const srs1 = /^srs1[=+-][^=]+=[^=]+==[^=]+=[^=]+=([^=]+)=(.+)$/.exec(local);
  const unwrapped = srs1 ?? srs0;
  if (unwrapped) {
    domain = unwrapped[1]!;
    local = unwrapped[2]!;
  }
  // BATV: prvs=tagval=local (RFC draft) and the reversed local=tagval form some MTAs write.
  local = local.replace(/^(?:prvs|msprvs1|btv1)=[^=]+=/, '');
  local = local.replace(/^(.+)=prvs=[0-9a-z]+$/, '$1');
  local = local.replace(/\+.*$/, '');
  local = local.replace(/\b\d+\b/g, '#');
  return `${local}@${domain}`;
}
