import type { ListKind, ListName } from '../../shared/lists.js';
import { resolveSettings, type SettingKey } from '../../shared/settings.js';
import type { SqliteDatabase } from './database.js';
import type { PolicySnapshot } from './greylist-store.js';
import { isPatternKind, ListTablesBuilder, type ListSizes } from './list-tables.js';

/** Stored settings by key; a value that is not JSON is kept as its text, for the checks to refuse. */
export function settingsFromRows(rows: Iterable<{ key: string; value: string }>): Partial<Record<SettingKey, unknown>> {
  const stored: Record<string, unknown> = {};
  for (const row of rows) {
    try {
      stored[row.key] = JSON.parse(row.value);
    } catch {
      stored[row.key] = row.value;
    }
  }
  return stored;
}

export function readStoredSettings(db: SqliteDatabase): Partial<Record<SettingKey, unknown>> {
  return settingsFromRows(db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>);
}

/** What each list holds, so that its tables are allocated once rather than grown (a million entries' worth of copies). */
export function listSizesOf(rows: Iterable<[ListName, string, number, number]>): Partial<Record<ListName, ListSizes>> {
  const sizes: Partial<Record<ListName, ListSizes>> = {};
  for (const [list, kind, count, bytes] of rows) {
    const size = (sizes[list] ??= { entries: 0, textBytes: 0, networks: 0, names: 0, patterns: 0 });
    size.entries += count;
    size.textBytes += bytes;
    if (kind === 'client-address') size.networks += count;
    else if (isPatternKind(kind)) size.patterns += count;
    else size.names += count;
  }
  return sizes;
}

function listSizes(db: SqliteDatabase): Partial<Record<ListName, ListSizes>> {
  return listSizesOf(
    db.prepare('SELECT list, kind, count(*), sum(length(CAST(pattern AS BLOB))) FROM list_entries GROUP BY list, kind').raw().all() as Array<[ListName, string, number, number]>,
  );
}

/** Lists and settings as one consistent snapshot; entries are streamed into the tables, never held as rows. */
export function readPolicySnapshot(db: SqliteDatabase): PolicySnapshot {
  return db.transaction(() => {
    const version = db.prepare("SELECT value FROM meta WHERE key = 'policy_version'").pluck().get() as number;
    const { settings, problems } = resolveSettings(readStoredSettings(db));
    const builder = new ListTablesBuilder(listSizes(db));
    const rows = db.prepare('SELECT id, list, kind, pattern, expires_at FROM list_entries ORDER BY id').raw().iterate() as IterableIterator<
      [number, ListName, ListKind, string, number | null]
    >;
    for (const [id, list, kind, pattern, expiresAt] of rows) builder.add({ id, list, kind, pattern, expiresAt });
    return { version, settings, problems, lists: builder.build() };
  })();
}
