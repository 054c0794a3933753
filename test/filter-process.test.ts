import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../main/store/database.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { askOnce, PolicyClient, rcpt } from './support/policy-client.js';
import { greyward, startDaemon, type DaemonProcess } from './support/greyward-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-process-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'greyward.db');
}

async function daemon(db: string, ...extra: string[]): Promise<DaemonProcess> {
  const running = await startDaemon(['--db', db, '--listen', '127.0.0.1:0', ...extra]);
  cleanups.push(async () => void (await running.stop()));
  return running;
}

describe('the filter as a process', () => {
  it('loses no committed triplet when killed with SIGKILL under load', async () => {
    const db = tempDb();
    const admin = new SqliteStore(openDatabase(db));
    await admin.setSetting('delay', 0, 0); // every retry of a known triplet passes at once: no waiting
    await admin.setSetting('autoAllowAfter', 0, 0);
    await admin.close();

    const first = await daemon(db);
    const answered = new Set<number>();
    let next = 0;
    let killed = false;
    const tripletOf = (n: number) => rcpt({ client_address: `10.${n % 200}.${(n >> 8) % 200}.7`, sender: `sender${n}x@example.com`, recipient: `rcpt${n}x@example.net` });
    const load = Array.from({ length: 8 }, async () => {
      const client = await PolicyClient.connect({ port: first.port });
      while (!killed) {
        const n = next++;
        try {
          if ((await client.ask(tripletOf(n))).startsWith('DEFER_IF_PERMIT 4.7.1')) answered.add(n);
        } catch {
          return;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    killed = true;
    first.child.kill('SIGKILL');
    await first.exited;
    await Promise.all(load);

    const after = new Database(db);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    const committed = after.prepare('SELECT recipient FROM triplet_view').pluck().all() as string[];
    after.close();
    const committedNumbers = committed.map((recipient) => Number(/^rcpt(\d+)x@/.exec(recipient)![1]));
    expect(answered.size).toBeGreaterThan(100);
    expect(committedNumbers.length).toBeGreaterThan(0);
    // Every committed triplet was one that was sent; answers may be a few milliseconds ahead of the disk.
    expect(committedNumbers.every((n) => n < next)).toBe(true);

    const second = await daemon(db);
    const client = await PolicyClient.connect({ port: second.port });
    const replies = new Map<string, number>();
    for (const n of committedNumbers) {
      const reply = await client.ask(tripletOf(n));
      const kind = reply.startsWith('PREPEND X-Greylist') ? 'passed' : reply;
      replies.set(kind, (replies.get(kind) ?? 0) + 1);
    }
    client.close();
    expect(Object.fromEntries(replies)).toEqual({ passed: committedNumbers.length });
  });

  it('on SIGTERM answers what is in flight, records it, and exits 0', async () => {
    const db = tempDb();
    const running = await daemon(db);
    expect(await askOnce({ port: running.port }, rcpt({ queue_id: 'DRAIN1' }))).toMatch(/^DEFER_IF_PERMIT/);
    running.child.kill('SIGTERM');
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.stderr()).toMatch(/SIGTERM: answering the requests in flight, then exiting/);
    expect(running.stderr()).toMatch(/decision queue_id=DRAIN1 .* action=defer reason=new/);
    const after = new Database(db, { readonly: true });
    expect(after.prepare("SELECT count(*) FROM attempts WHERE queue_id = 'DRAIN1'").pluck().get()).toBe(1);
    after.close();
  });

  it('reads lists, settings and the stored greylist again on SIGHUP', async () => {
    const running = await daemon(tempDb());
    running.child.kill('SIGHUP');
    await expect.poll(() => running.stderr(), { timeout: 5000 }).toMatch(/SIGHUP: reloading[\s\S]*policy reloaded/);
    expect(await askOnce({ port: running.port }, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
  });

  it.each([
    ['a corrupt database', (db: string) => writeFileSync(db, 'x'.repeat(5000)), /is not a Greyward database or is corrupt/],
    ['a database from a newer Greyward', (db: string) => new Database(db).pragma('user_version = 999'), /written by a newer Greyward/],
  ])('refuses to start on %s, with a message', async (_name, spoil, message) => {
    const db = tempDb();
    spoil(db);
    await expect(startDaemon(['--db', db, '--listen', '127.0.0.1:0'])).rejects.toThrow(message);
  });

  it('says so when the port is taken', async () => {
    const first = await daemon(tempDb());
    await expect(startDaemon(['--db', tempDb(), '--listen', `127.0.0.1:${first.port}`])).rejects.toThrow(/EADDRINUSE|address already in use/i);
  });

  it('prints help for the daemon', async () => {
    const help = await greyward('filter', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--db <path>[\s\S]*--listen <host:port>[\s\S]*--socket <path>/);
  });
});
