import { Option } from 'commander';
import { DATABASE_PATH_HELP, processDatabasePath } from './database-path.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';

export const dbOption = () => new Option('--db <path>', DATABASE_PATH_HELP).env('GREYWARD_DB').default(processDatabasePath());
export const jsonOption = () => new Option('--json', 'print JSON instead of text');

/** Runs `work` with the store of `path`, closing it however `work` ends. */
export async function withStore<T>(path: string, work: (store: SqliteStore) => Promise<T>, readonly = false): Promise<T> {
  const store = new SqliteStore(openDatabase(path, { readonly }));
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
