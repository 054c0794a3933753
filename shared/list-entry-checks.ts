import { compilePattern, normalisePattern, type ListKind, type ListName } from './lists.js';
import { parseNetwork } from './net.js';
import { escapeControls } from './printable.js';

/** The furthest ahead an entry may expire: further than this is a typing mistake, not a plan. */
export const MAX_EXPIRY_DAYS = 3650;
export const MAX_EXPIRY_SECONDS = MAX_EXPIRY_DAYS * 86_400;

// Realistic addresses and names that share nothing but their structure: a pattern that finds all
// of them would reject practically every message.
const ADDRESS_PROBES = ['postmaster@example.org', 'j.doe+news@mail.example.co.uk', 'bounce-4711@lists.example.net', 'x@y.de', '8@q.io', 'info@xn--bcher-kva.example'];
const NAME_PROBES = ['mail.example.org', 'mx-1.mail.example.co.uk', 'x.y.de', '8.q.io', '192-0-2-1.dsl.example.net'];

function refuseAllMatching(kind: ListKind, pattern: string): void {
  const regex = compilePattern(pattern);
  const refuse = (why: string) => {
    throw new Error(`"${pattern}" ${why}: on the deny list it would reject all mail; write a narrower pattern (e.g. anchor it with ^ or $)`);
  };
  // searched, not anchored: a pattern that finds the empty string finds it in every text
  if (regex.test('')) refuse('matches the empty string, so it matches everything');
  const probes = kind === 'client-name-pattern' ? NAME_PROBES : ADDRESS_PROBES;
  if (probes.every((probe) => regex.test(probe))) refuse(`matches every ${kind === 'client-name-pattern' ? 'host name' : 'address'}`);
}

/**
 * A pattern checked for its kind and for its list, in canonical form: a deny entry that would
 * reject all mail (a pattern that matches anything, a /0 network) is refused with the reason.
 */
export function normaliseEntryPattern(list: ListName, kind: ListKind, text: string): string {
  const pattern = normalisePattern(kind, text);
  if (list !== 'deny') return pattern;
  if (kind === 'client-address') {
    const network = parseNetwork(pattern);
    if (network.prefix === 0) {
      throw new Error(`"${pattern}" matches every IPv${network.family} client: on the deny list it would reject all mail over IPv${network.family}`);
    }
  } else if (kind.endsWith('-pattern')) {
    refuseAllMatching(kind, pattern);
  }
  return pattern;
}

/** An entry's expiry as Unix seconds (null for never), or an Error that says why it cannot be stored. */
export function validateExpiry(expiresAt: number | null, now: number): number | null {
  if (expiresAt === null) return null;
  if (!Number.isInteger(expiresAt)) throw new Error(`the expiry ${expiresAt} is not a whole number of seconds`);
  if (expiresAt < 0) throw new Error('the expiry is negative: an entry expires after now, or never');
  if (expiresAt <= now) throw new Error('the expiry is already past: an entry expires after now, or never');
  if (expiresAt - now > MAX_EXPIRY_SECONDS) throw new Error(`the expiry is too far ahead: an entry expires at most 10 years (${MAX_EXPIRY_DAYS}d) from now, or never`);
  return expiresAt;
}

/** A comment may span lines and hold tabs; other control characters would garble every listing. */
export function validateComment(comment: string): string {
  const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(comment);
  if (control) throw new Error(`the comment contains the control character ${escapeControls(control[0])}: a comment is printable text`);
  return comment;
}
