/**
 * postgrey's whitelist files (whitelist_clients, whitelist_recipients) read and written with
 * postgrey's own semantics (postgrey 1.37, read_clients_whitelists / read_recipients_whitelists).
 *
 * Pure: works on strings. The caller reads and writes the files, and imports nothing when a file
 * has errors (all-or-nothing); this module only reports them, each with its line number.
 *
 * What postgrey does, and how it maps onto Greyward's list kinds:
 * - Every line loses everything from its first "#" (`s/#.*$//`, even inside a /regex/), then
 *   surrounding whitespace; empty lines are skipped.
 * - clients: `/re/` (no whitespace inside) is a case-insensitive Perl regex searched in the client
 *   hostname → client-name-pattern, translated to RE2. `a.b.c.d[/nn]` and IPv6 (anything with two
 *   colons) → client-address. `a.b.c` → a.b.c.0/24. `a.b` → a.b.0.0/24: postgrey's comment says
 *   /16 but its code passes 24 to NetAddr::IP. Any other single token (a bare number included) is a
 *   name matched as itself or any subdomain → client-name.
 * - recipients: `/re/` → recipient-pattern; `user@domain` (and user+ext@domain) → recipient-address;
 *   `user@` in any domain → recipient-user; anything else is a domain matched with its subdomains
 *   → recipient-domain.
 * Lines postgrey would silently ignore or could never match (an invalid address, a name with a
 * leading dot, `@domain`) are errors here, so an import never quietly drops or widens an entry.
 */
import { normalisePattern, type ListKind } from './lists.js';
import { perlRegexToRe2 } from './perl-regex.js';
import { escapeControls } from './printable.js';

export const POSTGREY_FORMATS = ['postgrey-clients', 'postgrey-recipients'] as const;
export type PostgreyFormat = (typeof POSTGREY_FORMATS)[number];

/** The list kinds each file format can express. */
export const POSTGREY_FORMAT_KINDS: Record<PostgreyFormat, readonly ListKind[]> = {
  'postgrey-clients': ['client-address', 'client-name', 'client-name-pattern'],
  'postgrey-recipients': ['recipient-address', 'recipient-user', 'recipient-domain', 'recipient-pattern'],
};

export const POSTGREY_EXPORT_HEADER = '# exported by Greyward';

export interface ParsedListLine {
  /** 1-based line number of the entry in the file. */
  line: number;
  kind: ListKind;
  pattern: string;
  comment: string;
}

export interface ListFileError {
  line: number;
  /** The offending line, trimmed, control characters escaped; empty for a binary file. */
  text: string;
  message: string;
}

export interface PostgreyListEntry {
  kind: ListKind;
  pattern: string;
  comment: string;
}

export interface SkippedListEntry extends PostgreyListEntry {
  /** Index of the entry in the array given to formatPostgreyList. */
  index: number;
  reason: string;
}

export interface FormattedPostgreyList {
  text: string;
  /** Entries the format cannot express, in input order; they are not in `text`. */
  skipped: SkippedListEntry[];
}

// ---------------------------------------------------------------------------------------------
// Comments

/**
 * The canonical form of a comment as this module writes and reads it: lines trimmed, empty lines
 * dropped, joined with "\n". Comments already in this form survive a format/parse round trip.
 */
export function canonicalPostgreyComment(comment: string): string {
  return comment
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Perl regex → RE2

const REGEX_TOKEN = /^\/(\S+)\/$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,2})?$/;
const IPV4_3 = /^\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_2 = /^\d{1,3}\.\d{1,3}$/;
const IPV6 = /:.*:/;
const POSTGREY_IPV4_LIKE = /^\d{1,3}(?:\.\d{1,3}){1,3}$/;
const LEADING_ZERO = /(?:^|\.)0\d/;

function regexEntry(kind: ListKind, source: string): string {
  const translated = perlRegexToRe2(source);
  // normalisePattern strips one pair of enclosing slashes; keep a regex that has its own
  return normalisePattern(kind, /^\/.*\/$/s.test(translated) ? `/${translated}/` : translated);
}

function addressEntry(token: string, network: string): string {
  const address = token.split('/')[0]!;
  if (!address.includes(':') && LEADING_ZERO.test(address)) {
    throw new Error(
      `"${token}": a number with a leading zero is ambiguous (postgrey's NetAddr::IP reads 010 as octal 8); write it without leading zeros`,
    );
  }
  try {
    return normalisePattern('client-address', network);
  } catch (error) {
    if (network === token) throw error;
    throw new Error(`"${token}" is a partial IPv4 address that postgrey reads as ${network}: ${(error as Error).message}`);
  }
}

function checkDots(token: string, name: string, what: string): void {
  if (name.startsWith('.') || name.endsWith('.')) {
    throw new Error(
      `"${token}": postgrey never matches a ${what} with a leading or trailing dot (an entry example.com already covers its subdomains); write it without the dot`,
    );
  }
  if (name.includes('*')) {
    throw new Error(`"${token}": postgrey has no wildcards (an entry example.com already covers its subdomains; or write a /regex/)`);
  }
}

function parseClientToken(token: string): { kind: ListKind; pattern: string } {
  const regex = REGEX_TOKEN.exec(token);
  if (regex) return { kind: 'client-name-pattern', pattern: regexEntry('client-name-pattern', regex[1]!) };
  if (IPV4.test(token)) return { kind: 'client-address', pattern: addressEntry(token, token) };
  if (IPV4_3.test(token)) return { kind: 'client-address', pattern: addressEntry(token, `${token}.0/24`) };
  // postgrey 1.37 says "Partial IPv4 address (/16)" here but calls NetAddr::IP->new($_, 24)
  if (IPV4_2.test(token)) return { kind: 'client-address', pattern: addressEntry(token, `${token}.0.0/24`) };
  if (IPV6.test(token)) return { kind: 'client-address', pattern: addressEntry(token, token) };
  if (/\s/.test(token)) throw new Error(`"${token}" contains whitespace: it is not a hostname, address or /regex/ (postgrey ignores it)`);
  // an address with a bad prefix such as 192.0.2.0/33 is a (never matching) name to postgrey
  if (/^[\d.]+\/\d*$/.test(token)) return { kind: 'client-address', pattern: addressEntry(token, token) };
  checkDots(token, token, 'name');
  return { kind: 'client-name', pattern: normalisePattern('client-name', token) };
}

function parseRecipientToken(token: string): { kind: ListKind; pattern: string } {
  const regex = REGEX_TOKEN.exec(token);
  if (regex) return { kind: 'recipient-pattern', pattern: regexEntry('recipient-pattern', regex[1]!) };
  if (/\s/.test(token)) throw new Error(`"${token}" contains whitespace: it is not an address, domain or /regex/ (postgrey ignores it)`);
  const at = token.indexOf('@');
  if (at === -1) {
    checkDots(token, token, 'domain');
    return { kind: 'recipient-domain', pattern: normalisePattern('recipient-domain', token) };
  }
  const user = token.slice(0, at);
  const domain = token.slice(at + 1);
  if (user === '') {
    throw new Error(
      `"${token}": postgrey reads this as an empty user name${domain ? ` at ${domain}` : ''}, which matches no ordinary address; write ${domain || 'example.com'} for a domain and its subdomains, or user@${domain || 'example.com'}`,
    );
  }
  if (domain === '') return { kind: 'recipient-user', pattern: normalisePattern('recipient-user', token) };
  checkDots(token, domain, 'domain');
  return { kind: 'recipient-address', pattern: normalisePattern('recipient-address', token) };
}

/**
 * Reads a postgrey whitelist. Every line is either ignored (blank or comment), an entry or an
 * error. A block of comment lines directly above entries becomes the comment of each entry of
 * the run that follows it (until a blank or comment line); a comment after an entry on its own
 * line is added to that entry's comment. Comments are in canonicalPostgreyComment form.
 */
export function parsePostgreyList(format: PostgreyFormat, text: string): { entries: ParsedListLine[]; errors: ListFileError[] } {
  return parseListLines(text, postgreyTokenParser(format));
}

export const postgreyTokenParser = (format: PostgreyFormat) => (format === 'postgrey-clients' ? parseClientToken : parseRecipientToken);

/** The line reading shared by the whitelist formats of postgrey and sqlgrey: "#" comments, one entry a line. */
export function parseListLines(
  text: string,
  parseToken: (token: string) => { kind: ListKind; pattern: string },
  tokenOf?: (uncommented: string) => string,
): { entries: ParsedListLine[]; errors: ListFileError[] } {
  const entries: ParsedListLine[] = [];
  const errors: ListFileError[] = [];
  const read = listLineReader(parseToken, tokenOf);
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const result = read(raw, index + 1);
    if (result && 'message' in result) errors.push(result);
    else if (result) entries.push(result);
  });
  return { entries, errors };
}

/**
 * Why a line that reads as a sender domain from given clients ("DOMAIN from NETWORKS", "DOMAIN via
 * SUFFIX") cannot be imported: postgrey and sqlgrey whitelist clients or recipients, never a sender
 * tied to its clients. Undefined for any other line.
 */
function scopedLine(uncommented: string): string | undefined {
  const text = uncommented.trim();
  if (!/^[^\s/@]+\s+(?:from|via)\s+\S/i.test(text)) return undefined;
  return `postgrey and sqlgrey whitelists cannot express a sender domain from given clients; add it with: greyward lists add allow sender-domain-scoped "${text}"`;
}

/**
 * Reads a list file one line at a time, in order, so that a file of any size is read in bounded
 * memory: the entry or error of each line, or undefined for a blank or comment line.
 */
export function listLineReader(
  parseToken: (token: string) => { kind: ListKind; pattern: string },
  tokenOf: (uncommented: string) => string = (uncommented) => uncommented.trim(),
): (raw: string, line: number) => ParsedListLine | ListFileError | undefined {
  let block: string[] = []; // comment lines read since the last blank line or entry
  let runComment = ''; // the comment of the run of entries being read
  let previous: 'blank' | 'comment' | 'entry' = 'blank';

  return (raw, line) => {
    const hash = raw.indexOf('#');
    const token = tokenOf(hash === -1 ? raw : raw.slice(0, hash));
    const remark = hash === -1 ? '' : raw.slice(hash + 1).trim();
    if (token === '') {
      if (hash === -1) {
        block = [];
        runComment = '';
        previous = 'blank';
      } else {
        if (previous === 'entry') block = [];
        if (remark !== '') block.push(remark);
        previous = 'comment';
      }
      return undefined;
    }
    if (previous !== 'entry') {
      runComment = block.join('\n');
      block = [];
    }
    previous = 'entry';
    const scoped = scopedLine(hash === -1 ? raw : raw.slice(0, hash));
    if (scoped) return { line, text: escapeControls(raw.trim()), message: escapeControls(scoped) };
    try {
      const { kind, pattern } = parseToken(token);
      return { line, kind, pattern, comment: [runComment, remark].filter((part) => part !== '').join('\n') };
    } catch (error) {
      let message = (error as Error).message;
      if (raw.trimStart().startsWith('/') && !token.endsWith('/') && hash !== -1) {
        message += ` (postgrey starts a comment at "#", even inside a /regex/: write \\x23 for a literal #)`;
      }
      return { line, text: escapeControls(raw.trim()), message: escapeControls(message) };
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** A pattern as a /regex/ line that Perl (postgrey, sqlgrey) reads the same as RE2, or an Error saying why not. */
export function regexLine(pattern: string): string {
  if (/\s/.test(pattern)) throw new Error('postgrey cannot read a /regex/ that contains whitespace; write \\x20 or \\s instead');
  if (pattern.includes('#')) throw new Error('postgrey would read "#" as the start of a comment; write \\x23 instead');
  let translated: string | undefined;
  try {
    translated = perlRegexToRe2(pattern);
  } catch {
    translated = undefined;
  }
  if (translated !== pattern) throw new Error('Perl would read this regular expression differently from RE2');
  return `/${pattern}/`;
}

function entryLine(format: PostgreyFormat, kind: ListKind, pattern: string): string {
  if (!POSTGREY_FORMAT_KINDS[format].includes(kind)) {
    const file = format === 'postgrey-clients' ? 'whitelist_clients' : 'whitelist_recipients';
    throw new Error(`postgrey's ${file} cannot express ${kind} entries${kind === 'sender-domain-scoped' ? ' (a sender domain from given clients)' : ''}`);
  }
  const canonical = normalisePattern(kind, pattern);
  switch (kind) {
    case 'client-name-pattern':
    case 'recipient-pattern':
      return regexLine(canonical);
    case 'client-name':
      if (POSTGREY_IPV4_LIKE.test(canonical)) throw new Error(`postgrey would read the name "${canonical}" as an IPv4 address`);
      return canonical;
    default:
      if (canonical.includes('#')) throw new Error('postgrey would read "#" as the start of a comment');
      return canonical;
  }
}

/**
 * Writes entries as a postgrey whitelist that parsePostgreyList reads back to the same entries
 * (patterns in normalisePattern form, comments in canonicalPostgreyComment form). Entries with
 * the same comment in a row share one comment block; runs are separated by blank lines. Entries
 * the format cannot express, or whose pattern postgrey would read differently, are skipped.
 */
export function formatPostgreyList(format: PostgreyFormat, entries: ReadonlyArray<PostgreyListEntry>): FormattedPostgreyList {
  const lines = [POSTGREY_EXPORT_HEADER];
  const skipped: SkippedListEntry[] = [];
  let runComment: string | undefined;
  entries.forEach((entry, index) => {
    let text: string;
    try {
      text = entryLine(format, entry.kind, entry.pattern);
    } catch (error) {
      skipped.push({ index, kind: entry.kind, pattern: entry.pattern, comment: entry.comment, reason: (error as Error).message });
      return;
    }
    const comment = canonicalPostgreyComment(entry.comment);
    if (comment !== runComment) {
      lines.push('');
      if (comment !== '') lines.push(...comment.split('\n').map((line) => `# ${line}`));
      runComment = comment;
    }
    lines.push(text);
  });
  return { text: `${lines.join('\n')}\n`, skipped };
}
