import { RE2JS } from 're2js';
import { normaliseDomain, unicodeDomain } from './idn.js';
import { formatNetwork, parseNetwork } from './net.js';
import { escapeControls } from './printable.js';
import { normaliseScopedSender, unicodeScopedSender } from './scoped-sender.js';

export { normaliseDomain };

export const LIST_NAMES = ['allow', 'grey', 'deny'] as const;
export type ListName = (typeof LIST_NAMES)[number];

export const LIST_KINDS = [
  'client-address',
  'client-name',
  'client-name-pattern',
  'sender-address',
  'sender-domain',
  'sender-domain-scoped',
  'sender-pattern',
  'recipient-address',
  'recipient-user',
  'recipient-domain',
  'recipient-pattern',
] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export const LIST_KIND_HELP: Record<ListKind, string> = {
  'client-address': 'client IPv4/IPv6 address or CIDR network, e.g. 192.0.2.0/24 or 2001:db8::/32',
  'client-name': 'client hostname suffix: matches the name and its subdomains, e.g. mail.example.com',
  'client-name-pattern': 'regular expression (RE2 syntax, case-insensitive) searched in the client hostname',
  'sender-address': 'envelope sender address; user+tag@example.com matches an entry user@example.com',
  'sender-domain': 'sender domain: matches the domain and its subdomains',
  'sender-domain-scoped':
    'sender domain (and its subdomains) from given clients only: "cloudmail.example from 192.0.2.0/24, 198.51.100.0/22" (client networks) or "cloudmail.example via outbound.cloudmail.example" (clients whose forward-confirmed hostname is outbound.cloudmail.example or ends in .outbound.cloudmail.example)',
  'sender-pattern': 'regular expression (RE2 syntax, case-insensitive) searched in the sender address',
  'recipient-address': 'recipient address; user+tag@example.com matches an entry user@example.com',
  'recipient-user': 'recipient local part in any domain, written user@',
  'recipient-domain': 'recipient domain: matches the domain and its subdomains',
  'recipient-pattern': 'regular expression (RE2 syntax, case-insensitive) searched in the recipient address',
};

/** Patterns are data typed by people: bounded in size, and regexes are RE2 so matching stays linear. */
export const MAX_PATTERN_LENGTH = 512;

const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]{1,64}$/;

export function isListName(value: string): value is ListName {
  return (LIST_NAMES as readonly string[]).includes(value);
}

export function isListKind(value: string): value is ListKind {
  return (LIST_KINDS as readonly string[]).includes(value);
}

export function normaliseAddress(text: string): string {
  const address = text.trim().toLowerCase().replace(/^<(.*)>$/, '$1');
  const at = address.lastIndexOf('@');
  if (at <= 0 || !LOCAL_PART.test(address.slice(0, at))) throw new Error(`"${text.trim()}" is not a valid e-mail address (user@domain)`);
  return `${address.slice(0, at)}@${normaliseDomain(address.slice(at + 1))}`;
}

export function compilePattern(source: string): RE2JS {
  try {
    return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    throw new Error(`"${source}" is not a valid RE2 regular expression: ${(error as Error).message}`);
  }
}

/** C0 and C1 control characters and DEL: never part of an address, a name or a pattern typed by a person. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Checks a pattern for its kind and returns its canonical form, or throws an Error that says what is wrong. */
export function normalisePattern(kind: ListKind, text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('the pattern is empty');
  if (trimmed.length > MAX_PATTERN_LENGTH) throw new Error(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  const control = CONTROL.exec(trimmed);
  if (control) throw new Error(`"${escapeControls(trimmed)}" contains the control character ${escapeControls(control[0])}: an entry is printable text`);
  switch (kind) {
    case 'client-address':
      return formatNetwork(parseNetwork(trimmed));
    case 'client-name':
    case 'sender-domain':
    case 'recipient-domain':
      if (trimmed.includes('@')) throw new Error(`"${trimmed}" contains @: a ${kind} entry is a domain only`);
      return normaliseDomain(trimmed);
    case 'sender-address':
    case 'recipient-address':
      return normaliseAddress(trimmed);
    case 'sender-domain-scoped':
      return normaliseScopedSender(trimmed);
    case 'recipient-user': {
      const user = trimmed.toLowerCase().replace(/@$/, '');
      if (!LOCAL_PART.test(user)) throw new Error(`"${trimmed}" is not a valid local part (write it as user@)`);
      return `${user}@`;
    }
    case 'client-name-pattern':
    case 'sender-pattern':
    case 'recipient-pattern': {
      const source = /^\/(.*)\/$/s.exec(trimmed)?.[1] ?? trimmed;
      if (source === '') throw new Error('the pattern is empty: "//" holds no regular expression');
      compilePattern(source);
      return source;
    }
  }
}

/** The pattern as people read it when it holds an internationalised domain in punycode, or undefined. */
export function unicodePattern(kind: ListKind, pattern: string): string | undefined {
  switch (kind) {
    case 'client-name':
    case 'sender-domain':
    case 'recipient-domain':
      return unicodeDomain(pattern);
    case 'sender-address':
    case 'recipient-address': {
      const at = pattern.lastIndexOf('@');
      const domain = unicodeDomain(pattern.slice(at + 1));
      return domain === undefined ? undefined : `${pattern.slice(0, at + 1)}${domain}`;
    }
    case 'sender-domain-scoped':
      return unicodeScopedSender(pattern);
    default:
      return undefined;
  }
}

export interface ListEntry {
  id: number;
  list: ListName;
  kind: ListKind;
  pattern: string;
  comment: string;
  /** Where the entry came from: "cli", "ui", "import:<file>", "auto", or DEFAULT_ENTRY_SOURCE. */
  source: string;
  createdAt: number;
  /** Unix seconds after which the entry no longer applies, or null for never. */
  expiresAt: number | null;
  hits: number;
  lastHitAt: number | null;
}

/** The source of the entries a new database starts with; removable like any other. */
export const DEFAULT_ENTRY_SOURCE = 'default';

export type NewListEntry = Pick<ListEntry, 'list' | 'kind' | 'pattern'> & Partial<Pick<ListEntry, 'comment' | 'source' | 'expiresAt'>>;

/** What an edit of an entry may change; a field left out stays as it is. */
export type ListEntryChange = Partial<Pick<ListEntry, 'pattern' | 'comment' | 'expiresAt'>>;
