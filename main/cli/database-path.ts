import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where a system service keeps its database (build/greyward-filter.service: StateDirectory=greyward). */
export const SYSTEM_DATABASE = '/var/lib/greyward/greyward.db';

export const DATABASE_PATH_HELP =
  'the Greyward database file, or a PostgreSQL URL (postgres://user@host:5432/greyward; password from the URL, ' +
  `PGPASSWORD or ~/.pgpass, TLS per sslmode) for a greylist several MX hosts share; without --db or GREYWARD_DB: ${SYSTEM_DATABASE} when it exists or for root, ` +
  'else $XDG_DATA_HOME/greyward/greyward.db (~/.local/share/greyward/greyward.db)';

export interface DatabasePathContext {
  env: Record<string, string | undefined>;
  /** undefined where the platform has no user ids. */
  uid: number | undefined;
  exists(path: string): boolean;
}

/**
 * The database a command uses without --db or GREYWARD_DB: the system one on a host that has it
 * (or for root, who runs the system service), so that an administrator's `greyward lists show`
 * reads what the filter uses; otherwise one per user, where the XDG specification puts data.
 */
export function defaultDatabasePath({ env, uid, exists }: DatabasePathContext): string {
  if (exists(SYSTEM_DATABASE) || uid === 0) return SYSTEM_DATABASE;
  const dataHome = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(dataHome, 'greyward', 'greyward.db');
}

export const processDatabasePath = () => defaultDatabasePath({ env: process.env, uid: process.getuid?.(), exists: existsSync });
