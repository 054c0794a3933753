import { normaliseEntryPattern, validateComment, validateExpiry } from '../../shared/list-entry-checks.js';
import { isListKind, isListName, type ListEntry, type ListEntryChange, type NewListEntry } from '../../shared/lists.js';

/** A list entry as both stores hold it. */
export interface ListEntryRow {
  id: number;
  list: string;
  kind: string;
  pattern: string;
  comment: string;
  source: string;
  created_at: number;
  expires_at: number | null;
  hits: number;
  last_hit_at: number | null;
}

/** Entries that cannot be added, each with its position in the batch and what is wrong with it. */
export class InvalidEntriesError extends Error {
  constructor(readonly problems: Array<{ index: number; message: string }>) {
    super(problems.map((p) => `entry ${p.index + 1}: ${p.message}`).join('\n'));
  }
}

export function toListEntry(row: ListEntryRow): ListEntry {
  return {
    id: row.id,
    list: row.list as ListEntry['list'],
    kind: row.kind as ListEntry['kind'],
    pattern: row.pattern,
    comment: row.comment,
    source: row.source,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    hits: row.hits,
    lastHitAt: row.last_hit_at,
  };
}

/** The checks every entry passes on its way in, added or edited; throws an Error that says what is wrong. */
export function checkEntry(entry: NewListEntry, now: number): Pick<ListEntry, 'list' | 'kind' | 'pattern' | 'comment' | 'expiresAt'> {
  if (!isListName(entry.list)) throw new Error(`unknown list "${entry.list}" (allow, grey or deny)`);
  if (!isListKind(entry.kind)) throw new Error(`unknown kind "${entry.kind}"`);
  return {
    list: entry.list,
    kind: entry.kind,
    pattern: normaliseEntryPattern(entry.list, entry.kind, entry.pattern),
    comment: validateComment(entry.comment ?? ''),
    expiresAt: validateExpiry(entry.expiresAt ?? null, now),
  };
}

/**
 * An entry as an edit leaves it, checked as an added entry is. An expiry that is not changed is
 * kept as it is, even if it has passed since: writing a comment on an expired entry is not
 * setting its expiry.
 */
export function editedEntry(current: ListEntry, change: ListEntryChange, now: number): Pick<ListEntry, 'pattern' | 'comment' | 'expiresAt'> {
  const checked = checkEntry(
    { list: current.list, kind: current.kind, pattern: change.pattern ?? current.pattern, comment: change.comment ?? current.comment, expiresAt: change.expiresAt ?? null },
    now,
  );
  return { pattern: checked.pattern, comment: checked.comment, expiresAt: change.expiresAt === undefined ? current.expiresAt : checked.expiresAt };
}

export function duplicateEntryError(entry: Pick<ListEntry, 'pattern' | 'list'>, other: number): Error {
  return new Error(`${entry.pattern} is already on the ${entry.list} list (entry ${other}): edit or remove that one`);
}
