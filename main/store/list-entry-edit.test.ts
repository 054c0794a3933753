import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { SqliteStore } from './sqlite-store.js';

const T0 = 1_800_000_000;
const stores: Array<{ store: SqliteStore; dir: string }> = [];
afterEach(async () => {
  for (const { store, dir } of stores.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function storeWith(...patterns: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-edit-'));
  const store = new SqliteStore(openDatabase(join(dir, 'g.db')));
  stores.push({ store, dir });
  await store.addEntries(
    patterns.map((pattern) => ({ list: 'allow', kind: 'client-address', pattern, comment: 'partner', source: 'import:clients', expiresAt: T0 + 86_400 })),
    T0,
  );
  const entry = async (pattern: string) => (await store.listEntries()).find((e) => e.pattern === pattern)!;
  return { store, entry };
}

describe('editing a list entry', () => {
  it('changes its pattern, comment and expiry and keeps its id, hits, last hit, source and creation time', async () => {
    const { store, entry } = await storeWith('192.0.2.1');
    const before = await entry('192.0.2.1');
    store.db.prepare('UPDATE list_entries SET hits = 17, last_hit_at = ? WHERE id = ?').run(T0 + 60, before.id);
    const edited = await store.editEntry(before.id, { pattern: ' 198.51.100.0/24 ', comment: 'the whole partner network', expiresAt: null }, T0 + 120);
    const expected = { ...before, pattern: '198.51.100.0/24', comment: 'the whole partner network', expiresAt: null, hits: 17, lastHitAt: T0 + 60 };
    expect(edited).toEqual(expected);
    expect(await store.listEntries()).toContainEqual(expected);
    expect((await store.listEntries()).map((e) => e.pattern)).not.toContain('192.0.2.1');
  });

  it('changes only what it is given', async () => {
    const { store, entry } = await storeWith('192.0.2.1');
    const before = await entry('192.0.2.1');
    expect(await store.editEntry(before.id, { comment: 'only the comment' }, T0 + 1)).toEqual({ ...before, comment: 'only the comment' });
    expect(await store.editEntry(before.id, { expiresAt: T0 + 7 * 86_400 }, T0 + 1)).toEqual({ ...before, comment: 'only the comment', expiresAt: T0 + 7 * 86_400 });
  });

  it('keeps an expiry that has passed since when only the comment changes', async () => {
    const { store, entry } = await storeWith('192.0.2.1');
    const before = await entry('192.0.2.1');
    const later = T0 + 2 * 86_400;
    expect(await store.editEntry(before.id, { comment: 'expired, kept for the record' }, later)).toMatchObject({ expiresAt: T0 + 86_400 });
  });

  it('edits an entry of a new database like any other', async () => {
    const { store } = await storeWith();
    const postmaster = (await store.listEntries()).find((e) => e.source === 'default' && e.pattern === 'postmaster@')!;
    expect(await store.editEntry(postmaster.id, { comment: 'RFC 5321 wants it, we keep it' }, T0)).toMatchObject({ id: postmaster.id, source: 'default', comment: 'RFC 5321 wants it, we keep it' });
  });

  it.each([
    [{ pattern: '192.0.2.300' }, /not an IPv4 or IPv6/],
    [{ pattern: 'fe80::1%eth0' }, /zone index/],
    [{ pattern: '' }, /the pattern is empty/],
    [{ comment: 'partner\u001b[2J' }, /control character \\x1b/],
    [{ expiresAt: T0 - 1 }, /already past/],
    [{ expiresAt: T0 + 3651 * 86_400 }, /at most 10 years/],
  ])('refuses %j as adding would, and changes nothing', async (change, message) => {
    const { store, entry } = await storeWith('192.0.2.1');
    const before = await entry('192.0.2.1');
    const version = await store.policyVersion();
    await expect(store.editEntry(before.id, change, T0)).rejects.toThrow(message);
    expect(await entry('192.0.2.1')).toEqual(before);
    expect(await store.policyVersion()).toBe(version);
  });

  it('refuses a deny pattern that would reject all mail, as adding would', async () => {
    const { store } = await storeWith();
    await store.addEntries([{ list: 'deny', kind: 'sender-pattern', pattern: '^spam@', source: 'cli' }], T0);
    const deny = (await store.listEntries({ list: 'deny' }))[0]!;
    await expect(store.editEntry(deny.id, { pattern: '.*' }, T0)).rejects.toThrow(/matches the empty string.*deny list/);
    await expect(store.editEntry(deny.id, { pattern: '@' }, T0)).rejects.toThrow(/matches every address/);
  });

  it('refuses a pattern another entry of the same list and kind has, naming it', async () => {
    const { store, entry } = await storeWith('192.0.2.1', '192.0.2.2');
    const [one, two] = [await entry('192.0.2.1'), await entry('192.0.2.2')];
    await expect(store.editEntry(one.id, { pattern: '192.0.2.2' }, T0)).rejects.toThrow(`192.0.2.2 is already on the allow list (entry ${two.id})`);
    expect(await entry('192.0.2.1')).toEqual(one);
  });

  it('says which entry does not exist', async () => {
    const { store } = await storeWith();
    await expect(store.editEntry(4711, { comment: 'x' }, T0)).rejects.toThrow('there is no list entry 4711');
  });

  it('moves the policy version on for every change, so that the filter and the open screens read it', async () => {
    const { store, entry } = await storeWith('192.0.2.1');
    const { id } = await entry('192.0.2.1');
    let version = await store.policyVersion();
    for (const change of [{ comment: 'a comment shows on every open screen' }, { pattern: '192.0.2.9' }, { expiresAt: null }]) {
      await store.editEntry(id, change, T0);
      expect(await store.policyVersion(), JSON.stringify(change)).toBeGreaterThan(version);
      version = await store.policyVersion();
    }
    await store.editEntry(id, { comment: 'a comment shows on every open screen' }, T0);
    expect(await store.policyVersion()).toBe(version);
  });
});
