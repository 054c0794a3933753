import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminQueries } from '../store/admin-queries.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startPolicyWatch } from './policy-watch.js';

const T0 = 1_800_000_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('policy watch', () => {
  it('tells what changed, lists or settings, when another connection (the command line) writes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greyward-policy-watch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'g.db');
    const window = new SqliteStore(openDatabase(path));
    const elsewhere = new SqliteStore(openDatabase(path));
    cleanups.push(() => window.close(), () => elsewhere.close());
    const pushes: Array<{ lists: boolean; settings: boolean }> = [];
    const watch = startPolicyWatch(window, new AdminQueries(window.db), (change) => pushes.push(change), { intervalMs: 10 });
    cleanups.push(() => watch.stop());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pushes).toEqual([]);

    await elsewhere.addEntries([{ list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', comment: '', source: 'cli', expiresAt: null }], T0);
    await expect.poll(() => pushes).toEqual([{ lists: true, settings: false }]);
    await elsewhere.setSetting('delay', 600, T0);
    await expect.poll(() => pushes.at(-1)).toEqual({ lists: false, settings: true });
    // Both in one interval: both named.
    watch.stop();
    await elsewhere.setSetting('delay', 60, T0);
    await elsewhere.removeEntries((await elsewhere.listEntries({ list: 'allow' })).filter((e) => e.pattern === '192.0.2.0/24').map((e) => e.id));
    const both: Array<{ lists: boolean; settings: boolean }> = [];
    const again = startPolicyWatch(window, new AdminQueries(window.db), (change) => both.push(change), { intervalMs: 10 });
    cleanups.push(() => again.stop());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await elsewhere.setSetting('delay', 120, T0);
    await elsewhere.addEntries([{ list: 'deny', kind: 'sender-domain', pattern: 'spam.example', comment: '', source: 'cli', expiresAt: null }], T0);
    await expect.poll(() => both.reduce((seen, c) => ({ lists: seen.lists || c.lists, settings: seen.settings || c.settings }), { lists: false, settings: false })).toEqual({ lists: true, settings: true });
    // Hit counts the filter records are not a change of the lists.
    const count = both.length;
    window.db.prepare('UPDATE list_entries SET hits = hits + 1').run();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(both).toHaveLength(count);
  });
});
