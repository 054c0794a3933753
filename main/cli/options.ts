import { Option } from 'commander';
import { DATABASE_PATH_HELP, processDatabasePath } from './database-path.js';
import { openDatabase } from '../store/database.js';
import type { NewListEntry } from '../../shared/lists.js';
import type { AdminStore, FilterStore, MaybePromise } from '../store/greylist-store.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';

export const dbOption = () => new Option('--db <path>', DATABASE_PATH_HELP).env('GREYWARD_DB').default(processDatabasePath());
export const jsonOption = () => new Option('--json', 'print JSON instead of text');

/** What the commands need of a store, a database file's or a shared PostgreSQL one's. */
export type CommandStore = AdminStore &
  FilterStore & {
    importEntries(entries: Iterable<NewListEntry>, now: number): Promise<{ added: number; duplicates: number }>;
    capacityProblem(entries: number, patterns: number): MaybePromise<string | undefined>;
  };

/** The store `--db` names: a PostgreSQL URL, or a database file. */
export async function openCommandStore(db: string, readonly = false): Promise<CommandStore> {
  return isDatabaseUrl(db) ? PgStore.open(db) : new SqliteStore(openDatabase(db, { readonly }));
}

/** Runs `work` with the store `--db` names, closing it however `work` ends. */
export async function withStore<T>(db: string, work: (store: CommandStore) => Promise<T>, readonly = false): Promise<T> {
  const store = await openCommandStore(db, readonly);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Runs `work` with the store of a database file, closing it however `work` ends. */
export async function withFileStore<T>(db: string, work: (store: SqliteStore) => Promise<T>, readonly = false): Promise<T> {
  const store = new SqliteStore(openDatabase(db, { readonly }));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns for terminal tables. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}
