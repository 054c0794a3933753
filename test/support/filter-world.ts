import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFilter } from '../../main/filter/daemon.js';
import { quietLog } from '../../main/filter/log.js';
import { openDatabase } from '../../main/store/database.js';
import { SqliteStore } from '../../main/store/sqlite-store.js';

/**
 * The real filter (the daemon's entry, over TCP) on a temporary database, with a clock the test
 * moves, and the administration's own connection; each part is handed to `cleanups` to undo.
 */
export async function filterOnTempDatabase(prefix: string, start: number, cleanups: Array<() => Promise<void> | void>) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'greyward.db');
  const admin = new SqliteStore(openDatabase(db));
  cleanups.push(() => admin.close());
  const clock = { now: start };
  const running = await startFilter({ db, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now });
  cleanups.push(() => running.stop());
  const endpoint = { port: Number(running.endpoints.tcp!.split(':').at(-1)) };
  return { dir, db, admin, clock, running, endpoint };
}
