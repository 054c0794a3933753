import punycode from 'punycode.js';

const NON_ASCII = /[^\x00-\x7f]/;

/** A domain as DNS and Postfix write it: internationalised labels become punycode (bücher → xn--bcher-kva). */
export function asciiDomain(domain: string): string {
  if (!NON_ASCII.test(domain)) return domain;
  try {
    return punycode.toASCII(domain.normalize('NFC').toLowerCase());
  } catch {
    // punycode throws on input it cannot encode; the caller's hostname check then refuses it
    return domain;
  }
}

/** A domain as people read it: punycode labels decoded, or undefined when it has none. */
export function unicodeDomain(domain: string): string | undefined {
  if (!/(?:^|\.)xn--/.test(domain)) return undefined;
  try {
    const unicode = punycode.toUnicode(domain);
    // a label can encode any code point: one that decodes to control characters is shown only as stored
    return unicode === domain || /[\p{Cc}\p{Cf}]/u.test(unicode) ? undefined : unicode;
  } catch {
    return undefined;
  }
}

/** An address with its domain in ASCII form, so that a UTF-8 address (SMTPUTF8) meets entries stored in punycode. */
export function asciiAddress(address: string): string {
  if (!NON_ASCII.test(address)) return address;
  const at = address.lastIndexOf('@');
  return at === -1 ? address : `${address.slice(0, at + 1)}${asciiDomain(address.slice(at + 1))}`;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A domain or hostname as stored in the lists: lower-case, punycode, no leading or trailing dot; or an Error. */
export function normaliseDomain(text: string): string {
  const domain = asciiDomain(text.trim().toLowerCase().replace(/^\.+/, '').replace(/\.$/, ''));
  if (!HOSTNAME.test(domain)) throw new Error(`"${text.trim()}" is not a valid domain or hostname`);
  return domain;
}
