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
  local = stripBatv(local);
  local = local.replace(/\+.*$/, '');
  local = local.replace(/\b\d+\b/g, '#');
  return `${local}@${domain}`;
}

/** Ten letters or digits: the length of a BATV tag-val (K DDD SSSSSS), the test postgrey uses. */
const TAG_LIKE = /^[0-9a-z]{10}$/;
/** The draft's own tag-val: a key digit, three digits of day, six hex digits of hash. */
const DRAFT_TAG = /^\d{4}[0-9a-f]{6}$/;

/**
 * The local part without its BATV signature: prvs=tagval=local (the draft), prvs=local=tagval (how
 * some MTAs write it: the part that looks like a tag is the tag, as postgrey decides),
 * local=prvs=tagval, msprvs1=tag=local and Barracuda's btv1==tag==local.
 */
function stripBatv(local: string): string {
  const btv1 = /^btv1==[^=]+==(.+)$/.exec(local);
  if (btv1) return btv1[1]!;
  const prvs = /^prvs=([^=]+)=([^=]+)$/.exec(local);
  if (prvs) {
    const [, first, second] = prvs as unknown as [string, string, string];
    const firstIsTag = TAG_LIKE.test(first);
    const secondIsTag = TAG_LIKE.test(second);
    if (secondIsTag && !firstIsTag) return first;
    if (secondIsTag && firstIsTag && DRAFT_TAG.test(second) && !DRAFT_TAG.test(first)) return first;
    return second;
  }
  return local.replace(/^(?:prvs|msprvs1)=[^=]+=/, '').replace(/^(.+)=prvs=[0-9a-z]+$/, '$1');
}
