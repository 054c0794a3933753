import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../main/store/database.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { PolicyClient, rcpt } from './support/policy-client.js';
import { startDaemon, type DaemonProcess } from './support/greyward-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-dbfile-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function newDatabase(path: string): Promise<void> {
  await new SqliteStore(openDatabase(path)).close();
}

async function daemon(db: string): Promise<DaemonProcess> {
  const running = await startDaemon(['--db', db, '--listen', '127.0.0.1:0']);
  cleanups.push(async () => void (await running.stop()));
  return running;
}

/** Waits for an event of the filter (a log line, its exit), not for a delay: polls until it happens. */
async function until<T>(what: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const lostLines = (filter: DaemonProcess) => filter.stderr().split('\n').filter((line) => line.includes('DATABASE LOST'));

describe('the database file changed under a running filter', () => {
  it.each([
    ['deleted', (db: string) => rmSync(db)],
    ['replaced', (db: string, other: string) => renameSync(other, db)],
  ])('%s: says so once and exits for its supervisor to start it on the file now there', async (_, change) => {
    const dir = tempDir();
    const db = join(dir, 'greyward.db');
    const other = join(dir, 'other.db');
    await newDatabase(db);
    await newDatabase(other);
    const filter = await daemon(db);
    let exit: { code: number | null } | undefined;
    void filter.exited.then((e) => (exit = e));

    change(db, other);
    await until(() => exit);
    expect(exit!.code).toBe(75);
    expect(lostLines(filter)).toHaveLength(1);
  }, 60_000);

  it('overwritten in place: says so once, answers per failMode meanwhile, and exits once the file is a database again', async () => {
    const dir = tempDir();
    const db = join(dir, 'greyward.db');
    const backup = join(dir, 'backup.db');
    await newDatabase(db);
    copyFileSync(db, backup);
    const filter = await daemon(db);
    const client = await PolicyClient.connect({ port: filter.port });
    expect(await client.ask(rcpt())).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);

    writeFileSync(db, 'not a database '.repeat(1000)); // same inode, other bytes
    await until(() => lostLines(filter).length > 0);
    // Enough time for a dozen policy checks (every 250 ms) and file checks (every second).
    for (let i = 0; i < 30; i++) {
      expect(await client.ask(rcpt({ recipient: `r${i}@example.net` }))).toBe('DUNNO');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lostLines(filter)).toHaveLength(1);
    expect(filter.stderr()).not.toMatch(/could not reload|internal error/);

    copyFileSync(backup, db); // restored in place
    const exit = await filter.exited;
    expect(exit.code).toBe(75);
    expect(lostLines(filter)).toHaveLength(2);
    client.close();
  }, 60_000);
});
