/**
 * sqlgrey's whitelist files, read and written with sqlgrey's semantics (read_an_ip_whitelist and
 * read_an_fqdn_whitelist in sqlgrey 1.8):
 * - clients_ip_whitelist: `a.b.c.d`, `a.b.c` (a /24), IPv6, or ADDRESS/LEN → client-address.
 *   sqlgrey removes every space of a line before reading it.
 * - clients_fqdn_whitelist: `/regex/` → client-name-pattern; `*.example.com` (any name in the
 *   domain) and `host.example.com` (that system) → client-name. Greyward's client-name matches the
 *   name and its subdomains, so both read as that one entry; sqlgrey's own advice is to list
 *   `*.example.com` and `example.com` together for the same effect, and the export writes both.
 */
import { formatNetwork, parseNetwork } from './net.js';
import { normalisePattern, type ListKind } from './lists.js';
import { perlRegexToRe2 } from './perl-regex.js';
import {
  canonicalPostgreyComment,
  listLineReader,
  regexLine,
  type FormattedPostgreyList,
  type ListFileError,
  type ParsedListLine,
  type PostgreyListEntry,
  type SkippedListEntry,
} from './postgrey-lists.js';

export const SQLGREY_FORMATS = ['sqlgrey-clients-ip', 'sqlgrey-clients-fqdn'] as const;
export type SqlgreyFormat = (typeof SQLGREY_FORMATS)[number];

export const SQLGREY_FORMAT_KINDS: Record<SqlgreyFormat, readonly ListKind[]> = {
  'sqlgrey-clients-ip': ['client-address'],
  'sqlgrey-clients-fqdn': ['client-name', 'client-name-pattern'],
};

const SYSTEM_NAME = /^([\w-]+\.)+[\w-]+$/;

function parseIpToken(token: string): { kind: ListKind; pattern: string } {
  let text = token;
  if (/^\d+\.\d+\.\d+$/.test(token)) text = `${token}.0/24`;
  else if (!token.includes('/') && !/^\d+\.\d+\.\d+\.\d+$/.test(token) && !token.includes(':')) {
    throw new Error(`"${token}": sqlgrey reads an IPv4 address, a.b.c for a /24, an IPv6 address, or ADDRESS/LENGTH here`);
  }
  return { kind: 'client-address', pattern: formatNetwork(parseNetwork(text)) };
}

function parseFqdnToken(token: string): { kind: ListKind; pattern: string } {
  const regex = /\/(\S+)\/$/.exec(token);
  if (regex) return { kind: 'client-name-pattern', pattern: normalisePattern('client-name-pattern', perlRegexToRe2(regex[1]!)) };
  const domain = /^\*\.(.*)$/.exec(token)?.[1];
  const name = domain ?? token;
  if (!SYSTEM_NAME.test(name)) throw new Error(`"${token}": sqlgrey reads a host name, *.domain or /regex/ here`);
  return { kind: 'client-name', pattern: normalisePattern('client-name', name) };
}

/** Reads a sqlgrey whitelist; an entry written twice (e.g. `example.com` and `*.example.com`) is one entry. */
export function parseSqlgreyList(format: SqlgreyFormat, text: string): { entries: ParsedListLine[]; errors: ListFileError[] } {
  const entries: ParsedListLine[] = [];
  const errors: ListFileError[] = [];
  const read = sqlgreyLineReader(format);
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const result = read(raw, index + 1);
    if (result && 'message' in result) errors.push(result);
    else if (result) entries.push(result);
  });
  return { entries, errors };
}

/** Reads a sqlgrey whitelist a line at a time (see listLineReader); a repeated entry reads as a blank line. */
export function sqlgreyLineReader(format: SqlgreyFormat): (raw: string, line: number) => ParsedListLine | ListFileError | undefined {
  const read =
    format === 'sqlgrey-clients-ip' ? listLineReader(parseIpToken, (uncommented) => uncommented.replace(/\s+/g, '')) : listLineReader(parseFqdnToken);
  const seen = new Set<string>();
  return (raw, line) => {
    const result = read(raw, line);
    if (!result || 'message' in result) return result;
    const key = `${result.kind} ${result.pattern}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    return result;
  };
}

function entryLines(format: SqlgreyFormat, kind: ListKind, pattern: string): string[] {
  if (!SQLGREY_FORMAT_KINDS[format].includes(kind)) {
    throw new Error(`sqlgrey's ${format.replace('sqlgrey-', '').replace('-', '_')}_whitelist cannot express ${kind} entries${kind === 'sender-domain-scoped' ? ' (a sender domain from given clients)' : ''}`);
  }
  const canonical = normalisePattern(kind, pattern);
  if (kind === 'client-name-pattern') return [regexLine(canonical)];
  if (kind === 'client-name') return [canonical, `*.${canonical}`];
  return [canonical];
}

/** Writes entries as a sqlgrey whitelist that parseSqlgreyList reads back to the same entries. */
export function formatSqlgreyList(format: SqlgreyFormat, entries: ReadonlyArray<PostgreyListEntry>): FormattedPostgreyList {
  const lines = ['# exported by Greyward'];
  const skipped: SkippedListEntry[] = [];
  entries.forEach((entry, index) => {
    try {
      const written = entryLines(format, entry.kind, entry.pattern);
      const comment = canonicalPostgreyComment(entry.comment);
      lines.push('', ...(comment ? comment.split('\n').map((line) => `# ${line}`) : []), ...written);
    } catch (error) {
      skipped.push({ index, kind: entry.kind, pattern: entry.pattern, comment: entry.comment, reason: (error as Error).message });
    }
  });
  return { text: `${lines.join('\n')}\n`, skipped };
}
