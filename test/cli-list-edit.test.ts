import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { greyward } from './support/greyward-process.js';
import type { ListEntry } from '../shared/lists.js';
import { tempDirs } from './support/temp-dirs.js';

const tempDir = tempDirs('greyward-cli-edit-');
const tempDb = () => join(tempDir(), 'g.db');

const show = async (db: string): Promise<ListEntry[]> => JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout);
const entryOf = async (db: string, pattern: string) => (await show(db)).find((entry) => entry.pattern === pattern);
const decide = async (db: string, clientAddress: string) =>
  JSON.parse((await greyward('check', '--db', db, '--client-address', clientAddress, '--sender', 'a@example.org', '--recipient', 'b@example.net', '--json')).stdout).action;

describe('greyward lists edit', () => {
  it('changes the pattern, comment and expiry of an entry and keeps its id, hits, last hit and source', async () => {
    const db = tempDb();
    await greyward('lists', 'add', 'allow', 'client-address', '192.0.2.1', '--comment', 'partner MX', '--expires', '7d', '--db', db);
    const before = (await entryOf(db, '192.0.2.1'))!;
    const raw = new Database(db);
    raw.prepare('UPDATE list_entries SET hits = 42, last_hit_at = 1700000000 WHERE id = ?').run(before.id);
    raw.close();
    expect(await decide(db, '198.51.100.7')).toBe('defer');

    const edited = await greyward('lists', 'edit', String(before.id), '--pattern', '198.51.100.0/24', '--comment', 'partner network', '--no-expires', '--db', db);
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(edited.stdout).toMatch(new RegExp(`^${before.id}\\s+allow\\s+client-address\\s+198\\.51\\.100\\.0/24\\s+42\\s+2023-11-14 22:13\\s+-\\s+partner network$`, 'm'));
    expect(await entryOf(db, '198.51.100.0/24')).toEqual({ ...before, pattern: '198.51.100.0/24', comment: 'partner network', expiresAt: null, hits: 42, lastHitAt: 1_700_000_000 });
    expect(await entryOf(db, '192.0.2.1')).toBeUndefined();
    expect(await decide(db, '198.51.100.7')).toBe('allow');

    const start = Math.floor(Date.now() / 1000);
    expect((await greyward('lists', 'edit', String(before.id), '--expires', '30d', '--db', db)).code).toBe(0);
    const expires = (await entryOf(db, '198.51.100.0/24'))!.expiresAt!;
    expect(expires - start).toBeGreaterThanOrEqual(30 * 86_400);
    expect(expires - start).toBeLessThan(30 * 86_400 + 60);
    expect((await entryOf(db, '198.51.100.0/24'))!.comment).toBe('partner network');
  });

  it('edits an entry a new database starts with', async () => {
    const db = tempDb();
    const postmaster = (await entryOf(db, 'postmaster@'))!;
    expect((await greyward('lists', 'edit', String(postmaster.id), '--comment', 'RFC 5321', '--db', db)).code).toBe(0);
    expect(await entryOf(db, 'postmaster@')).toMatchObject({ id: postmaster.id, source: 'default', comment: 'RFC 5321' });
  });

  it.each([
    [['--pattern', '192.0.2.0/40'], /prefix length must be a number from 0 to 32/],
    [['--pattern', 'fe80::1%eth0'], /zone index/],
    [['--expires', '7'], /--expires 7: "7" has no unit/],
    [['--expires', '3651d'], /at most 10 years/],
    [['--comment', 'bell\u0007'], /control character \\x07/],
    [[], /nothing to change: give --pattern, --comment, --expires or --no-expires/],
  ])('refuses %j with the reason and changes nothing', async (options, message) => {
    const db = tempDb();
    await greyward('lists', 'add', 'deny', 'client-address', '192.0.2.1', '--db', db);
    const before = await show(db);
    const id = before.find((entry) => entry.pattern === '192.0.2.1')!.id;
    const result = await greyward('lists', 'edit', String(id), ...options, '--db', db);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(await show(db)).toEqual(before);
  });

  it('refuses a deny pattern that would reject all mail, a taken pattern and an unknown id', async () => {
    const db = tempDb();
    await greyward('lists', 'add', 'deny', 'sender-pattern', '^spam@', '--db', db);
    await greyward('lists', 'add', 'deny', 'sender-pattern', '^junk@', '--db', db);
    const spam = (await entryOf(db, '^spam@'))!;
    const junk = (await entryOf(db, '^junk@'))!;
    expect((await greyward('lists', 'edit', String(spam.id), '--pattern', '/.*/', '--db', db)).stderr).toMatch(/matches the empty string/);
    expect((await greyward('lists', 'edit', String(spam.id), '--pattern', '^junk@', '--db', db)).stderr).toMatch(`^junk@ is already on the deny list (entry ${junk.id})`);
    expect(await greyward('lists', 'edit', '4711', '--comment', 'x', '--db', db)).toMatchObject({ code: 1, stderr: expect.stringMatching(/there is no list entry 4711/) });
    expect(await greyward('lists', 'edit', 'seven', '--comment', 'x', '--db', db)).toMatchObject({ code: 1, stderr: expect.stringMatching(/"seven" is not an entry id/) });
    expect((await entryOf(db, '^spam@'))!.id).toBe(spam.id);
  });
});

describe('greyward lists counts in the right number', () => {
  it('imports "1 entry", and refuses "1 bad line"', async () => {
    const db = tempDb();
    const dir = db.replace(/g\.db$/, '');
    writeFileSync(`${dir}one`, '192.0.2.1\n');
    expect((await greyward('lists', 'import', `${dir}one`, '--format', 'postgrey-clients', '--db', db)).stdout).toBe('imported 1 entry into the allow list (0 already there)\n');
    writeFileSync(`${dir}bad`, '192.0.2.0/40\n');
    expect((await greyward('lists', 'import', `${dir}bad`, '--format', 'postgrey-clients', '--db', db)).stderr).toMatch(/greyward: 1 bad line in .*bad; nothing was imported/);
  });
});

describe('greyward lists show', () => {
  it('lists client addresses and networks in address order, IPv4 before IPv6', async () => {
    const db = tempDb();
    for (const pattern of ['2001:db8::10', '192.0.2.10', '192.0.2.9', '192.0.2.0/24', '2001:db8::9', '10.0.0.0/8', '9.9.9.9']) {
      expect((await greyward('lists', 'add', 'allow', 'client-address', pattern, '--db', db)).code).toBe(0);
    }
    const text = (await greyward('lists', 'show', '--list', 'allow', '--db', db)).stdout;
    const shown = [...text.matchAll(/^\d+\s+allow\s+client-address\s+(\S+)/gm)].map((match) => match[1]);
    expect(shown).toEqual(['9.9.9.9', '10.0.0.0/8', '192.0.2.0/24', '192.0.2.9', '192.0.2.10', '2001:db8::9', '2001:db8::10']);
  });
});
