import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';

/** Every integer Greyward stores fits a double: bigint columns are read as numbers, not strings. */
export type PgSql = Sql<{ bigint: number }>;

/** `--db` names a shared PostgreSQL database rather than a file. */
export const isDatabaseUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** The URL without its password, for logs and screens. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unreadable PostgreSQL URL';
  }
}

function pgpassField(field: string): string {
  return field.replace(/\\(.)/g, '$1');
}

/**
 * The password libpq would take from ~/.pgpass (or PGPASSFILE) for this URL, if the URL and
 * PGPASSWORD give none. Like libpq, a file that others can read is ignored.
 */
export function pgpassPassword(url: URL, env: NodeJS.ProcessEnv = process.env, home = homedir()): string | undefined {
  const file = env.PGPASSFILE ?? join(home, '.pgpass');
  let text: string;
  try {
    if ((statSync(file).mode & 0o077) !== 0) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = [url.hostname || 'localhost', url.port || '5432', decodeURIComponent(url.pathname.slice(1)) || '', decodeURIComponent(url.username) || env.PGUSER || env.USER || ''];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.split(/(?<!\\):/);
    if (fields.length < 5) continue;
    const matches = wanted.every((value, i) => fields[i] === '*' || pgpassField(fields[i]!) === value);
    if (matches) return pgpassField(fields.slice(4).join(':'));
  }
  return undefined;
}

export interface ConnectOptions {
  /** Connections in the pool; queries are pipelined on each. */
  max?: number;
  connectTimeoutSeconds?: number;
  applicationName?: string;
}

/**
 * A client for `url` with libpq's conventions for credentials: the URL's password, PGPASSWORD,
 * then ~/.pgpass; TLS as the URL's sslmode says. postgres (porsager) rather than pg: it pipelines
 * queries on a connection, and the filter sends one lookup per recipient.
 */
export function connectPostgres(url: string, options: ConnectOptions = {}): PgSql {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${describeDatabaseUrl(url)}: not a PostgreSQL URL such as postgres://user@host:5432/greyward`);
  }
  const password = decodeURIComponent(parsed.password) || process.env.PGPASSWORD || pgpassPassword(parsed);
  return postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 0,
    onnotice: () => undefined,
    ...(password !== undefined ? { password } : {}),
    connection: { application_name: options.applicationName ?? 'greyward' },
    types: { bigint: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) } },
  }) as unknown as PgSql;
}
