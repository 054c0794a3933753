import type { Database } from 'better-sqlite3';
import { compilePattern, DEFAULT_ENTRY_SOURCE, type ListKind } from '../../shared/lists.js';

interface DefaultEntry {
  kind: ListKind;
  pattern: string;
  /** The local part the entry lets through in every domain. */
  user: string;
  comment: string;
}

/** What a new database allows from the start, as Debian's postgrey does out of the box. */
export const DEFAULT_ALLOW_ENTRIES: readonly DefaultEntry[] = [
  { kind: 'recipient-user', pattern: 'postmaster@', user: 'postmaster', comment: 'default: RFC 5321 4.5.1 requires accepting mail to postmaster' },
  { kind: 'recipient-user', pattern: 'abuse@', user: 'abuse', comment: 'default: reports of abuse (RFC 2142) must not wait' },
];

/** Domains a pattern must let the user through in to count as covering every domain. */
const PROBE_DOMAINS = ['example.com', 'mail.example.org', 'xn--bcher-kva.example'];

/**
 * Adds the default allow entries, except where the administrator's own entries already let that
 * user through in every domain: an allow entry for the same user, or an allow recipient pattern
 * without an expiry that matches the user in any domain. Runs once, as a migration, so that a
 * default the administrator removes stays removed.
 */
export function addDefaultEntries(db: Database, now: number): void {
  const patterns = db
    .prepare("SELECT pattern FROM list_entries WHERE list = 'allow' AND kind = 'recipient-pattern' AND expires_at IS NULL")
    .pluck()
    .all() as string[];
  const compiled = patterns.flatMap((source) => {
    try {
      return [compilePattern(source)];
    } catch {
      return [];
    }
  });
  const insert = db.prepare(
    `INSERT INTO list_entries (list, kind, pattern, comment, source, created_at)
     VALUES ('allow', ?, ?, ?, ?, ?) ON CONFLICT (list, kind, pattern) DO NOTHING`,
  );
  for (const entry of DEFAULT_ALLOW_ENTRIES) {
    const covered = compiled.some((regex) => PROBE_DOMAINS.every((domain) => regex.test(`${entry.user}@${domain}`)));
    if (!covered) insert.run(entry.kind, entry.pattern, entry.comment, DEFAULT_ENTRY_SOURCE, now);
  }
}
