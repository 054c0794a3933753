import { sortListEntries } from '../../../shared/entry-order.js';
import type { ListEntry, ListEntryChange, NewListEntry } from '../../../shared/lists.js';
import type { ListQuery } from '../greylist-store.js';
import { checkEntry, duplicateEntryError, editedEntry, InvalidEntriesError, toListEntry, type ListEntryRow } from '../list-entry-rows.js';
import { isPatternKind, listCapacityProblem } from '../list-tables.js';
import type { PgSql } from './pg-connection.js';

type Tx = PgSql;
type CheckedRow = ReturnType<typeof checkEntry> & { source: string; createdAt: number };

/** Entries written per statement while importing. */
const ENTRIES_PER_INSERT = 1000;

export async function listEntries(sql: PgSql, query: ListQuery = {}): Promise<ListEntry[]> {
  const search = query.search ? `%${query.search.replace(/[\\%_]/g, '\\$&')}%` : null;
  const rows = await sql<ListEntryRow[]>`
    SELECT * FROM list_entries
    WHERE (${query.list ?? null}::text IS NULL OR list = ${query.list ?? null})
      AND (${search}::text IS NULL OR pattern ILIKE ${search} OR comment ILIKE ${search})`;
  return sortListEntries(rows.map(toListEntry));
}

export async function capacityProblem(sql: PgSql, entries: number, patterns: number): Promise<string | undefined> {
  const [row] = await sql<[{ stored: number; patterns: number }]>`
    SELECT count(*) AS stored, count(*) FILTER (WHERE kind LIKE '%-pattern') AS patterns FROM list_entries`;
  return listCapacityProblem(row.stored, row.patterns, entries, patterns);
}

/** Inserts checked rows, skipping those already there; returns how many were added. */
async function insertRows(tx: Tx, rows: readonly CheckedRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await tx`
    INSERT INTO list_entries (list, kind, pattern, comment, source, created_at, expires_at)
    SELECT * FROM unnest(${rows.map((r) => r.list)}::text[], ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.pattern)}::text[],
      ${rows.map((r) => r.comment)}::text[], ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.createdAt)}::bigint[], ${rows.map((r) => r.expiresAt)}::bigint[])
    ON CONFLICT (list, kind, pattern) DO NOTHING`;
  return inserted.count;
}

export async function addEntries(sql: PgSql, entries: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }> {
  const problems: Array<{ index: number; message: string }> = [];
  const rows = entries.flatMap((entry, index) => {
    try {
      return [{ ...checkEntry(entry, now), source: entry.source ?? '', createdAt: now }];
    } catch (error) {
      problems.push({ index, message: (error as Error).message });
      return [];
    }
  });
  if (problems.length > 0) throw new InvalidEntriesError(problems);
  const problem = await capacityProblem(sql, rows.length, rows.filter((row) => isPatternKind(row.kind)).length);
  if (problem) throw new Error(problem);
  // One entry twice in the batch counts as a duplicate, as it does in SQLite.
  const added = (await sql.begin((tx) => insertRows(tx as unknown as Tx, rows))) as number;
  return { added, duplicates: rows.length - added };
}

/** Adds entries read one at a time, in one transaction: all, or none from the first invalid one. */
export async function importEntries(sql: PgSql, entries: Iterable<NewListEntry>, now: number): Promise<{ added: number; duplicates: number }> {
  return (await sql.begin(async (tx) => {
    let added = 0;
    let index = 0;
    let pending: CheckedRow[] = [];
    for (const entry of entries) {
      try {
        pending.push({ ...checkEntry(entry, now), source: entry.source ?? '', createdAt: now });
      } catch (error) {
        throw new InvalidEntriesError([{ index, message: (error as Error).message }]);
      }
      index++;
      if (pending.length >= ENTRIES_PER_INSERT) {
        added += await insertRows(tx as unknown as Tx, pending);
        pending = [];
      }
    }
    added += await insertRows(tx as unknown as Tx, pending);
    return { added, duplicates: index - added };
  })) as { added: number; duplicates: number };
}

/** As SqliteStore.editEntry: pattern, comment or expiry, checked as an added entry is. */
export async function editEntry(sql: PgSql, id: number, change: ListEntryChange, now: number): Promise<ListEntry> {
  return (await sql.begin(async (tx) => {
    const t = tx as unknown as Tx;
    const [row] = await t<ListEntryRow[]>`SELECT * FROM list_entries WHERE id = ${id} FOR UPDATE`;
    if (!row) throw new Error(`there is no list entry ${id}`);
    const current = toListEntry(row);
    const checked = editedEntry(current, change, now);
    const { expiresAt } = checked;
    const [other] = await t<Array<{ id: number }>>`
      SELECT id FROM list_entries WHERE list = ${current.list} AND kind = ${current.kind} AND pattern = ${checked.pattern} AND id != ${id}`;
    if (other) throw duplicateEntryError({ pattern: checked.pattern, list: current.list }, other.id);
    // Naming pattern and expiry in SET moves the policy version (see the trigger) even when only the comment changed:
    // every open screen reads the lists again.
    const [updated] = await t<ListEntryRow[]>`
      UPDATE list_entries SET pattern = ${checked.pattern}, comment = ${checked.comment}, expires_at = ${expiresAt} WHERE id = ${id} RETURNING *`;
    return toListEntry(updated!);
  })) as ListEntry;
}

export async function removeEntries(sql: PgSql, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await sql`DELETE FROM list_entries WHERE id = ANY(${[...ids]}::bigint[])`).count;
}
