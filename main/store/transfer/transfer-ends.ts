import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDatabaseUrl } from '../postgres/pg-connection.js';
import { PgSource } from './pg-source.js';
import { PgTarget } from './pg-target.js';
import { SqliteSource } from './sqlite-source.js';
import { SqliteTarget } from './sqlite-target.js';
import type { TransferSource, TransferTarget } from './transfer-rows.js';

/** The source `from` names, a database file or a PostgreSQL URL; checked before anything is written. */
export async function openTransferSource(from: string): Promise<TransferSource> {
  return isDatabaseUrl(from) ? PgSource.open(from) : SqliteSource.open(from);
}

/** The target `to` names: a database file (created if missing) or a PostgreSQL URL (migrated if new). */
export async function openTransferTarget(to: string, options: { filterName: string; say: (line: string) => void }): Promise<TransferTarget> {
  return isDatabaseUrl(to) ? PgTarget.open(to, { filterName: options.filterName, note: options.say }) : SqliteTarget.open(to, options.say);
}

const canonicalPath = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/** True when `from` and `to` name the same database (a copy onto itself would read what it writes). */
export function sameDatabase(from: string, to: string): boolean {
  if (isDatabaseUrl(from) !== isDatabaseUrl(to)) return false;
  if (!isDatabaseUrl(from)) return canonicalPath(from) === canonicalPath(to);
  const place = (url: string) => {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  };
  return place(from) === place(to);
}
