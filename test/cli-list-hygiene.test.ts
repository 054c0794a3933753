import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { greyward } from './support/greyward-process.js';
import { tempDirs } from './support/temp-dirs.js';

const tempDir = tempDirs('greyward-cli-lists-');
/** Bytes a terminal would act on: anything below space except newline and tab, DEL, and C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** The entries an administrator added: a new database also holds the postmaster@ and abuse@ defaults. */
async function ownEntries(db: string): Promise<Array<{ pattern: string; source: string }>> {
  const entries = JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout) as Array<{ pattern: string; source: string }>;
  return entries.filter((entry) => entry.source !== 'default');
}

describe('greyward lists refuses entries that would cost mail or garble the lists', () => {
  it('refuses an empty or all-matching deny pattern, so check never answers REJECT to everyone', async () => {
    const db = join(tempDir(), 'g.db');
    const empty = await greyward('lists', 'add', 'deny', 'sender-pattern', '//', '--db', db);
    expect(empty).toMatchObject({ code: 1, stderr: expect.stringMatching(/the pattern is empty/) });
    const everything = await greyward('lists', 'add', 'deny', 'sender-pattern', '/.*/', '--db', db);
    expect(everything).toMatchObject({ code: 1, stderr: expect.stringMatching(/matches the empty string.*deny list would reject all mail|matches the empty string/) });
    const everyAddress = await greyward('lists', 'add', 'deny', 'sender-pattern', '@', '--db', db);
    expect(everyAddress).toMatchObject({ code: 1, stderr: expect.stringMatching(/matches every address: on the deny list it would reject all mail/) });
    expect(await ownEntries(db)).toEqual([]);
    const check = await greyward('check', '--db', db, '--client-address', '198.51.100.7', '--sender', 'anyone@example.org', '--recipient', 'bob@example.net', '--json');
    expect(JSON.parse(check.stdout)).toMatchObject({ action: 'defer' });
  });

  it('bounds --expires to ten years and keeps lists show working whatever expiry is stored', async () => {
    const db = join(tempDir(), 'g.db');
    const far = await greyward('lists', 'add', 'allow', 'client-address', '192.0.2.1', '--expires', '99999999999w', '--db', db);
    expect(far).toMatchObject({ code: 1, stderr: expect.stringMatching(/--expires 99999999999w: .*at most 10 years \(3650d\)/) });
    expect(far.stderr).not.toMatch(/SqliteError|Invalid time value/);
    expect(await greyward('lists', 'add', 'allow', 'client-address', '192.0.2.1', '--expires', '3650d', '--db', db)).toMatchObject({ code: 0 });
    const raw = new Database(db);
    const insert = raw.prepare("INSERT INTO list_entries (list, kind, pattern, created_at, expires_at) VALUES ('allow', 'client-address', ?, 0, ?)");
    insert.run('192.0.2.2', 9223372036854775807n);
    insert.run('192.0.2.3', -9223372036854775808n);
    insert.run('192.0.2.4', Number.MAX_SAFE_INTEGER);
    raw.close();
    const shown = await greyward('lists', 'show', '--db', db);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/192\.0\.2\.1 .*\d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(shown.stdout).toMatch(/192\.0\.2\.2 .*far future/);
    expect(shown.stdout).toMatch(/192\.0\.2\.3 .*long ago/);
    expect(shown.stdout).toMatch(/192\.0\.2\.4 .*far future/);
    expect((await greyward('lists', 'show', '--db', db, '--json')).code).toBe(0);
  });

  it('stores an IDN domain as punycode and shows both forms', async () => {
    const db = join(tempDir(), 'g.db');
    const added = await greyward('lists', 'add', 'allow', 'sender-domain', 'Bücher.example', '--db', db);
    expect(added).toMatchObject({ code: 0, stdout: 'added to the allow list as xn--bcher-kva.example (bücher.example)\n' });
    expect(await ownEntries(db)).toEqual([expect.objectContaining({ pattern: 'xn--bcher-kva.example' })]);
    expect((await greyward('lists', 'show', '--db', db)).stdout).toMatch(/sender-domain\s+xn--bcher-kva\.example \(bücher\.example\)\s+0/);
  });

  it('refuses a zoned address and control characters, and never echoes the raw bytes', async () => {
    const db = join(tempDir(), 'g.db');
    expect(await greyward('lists', 'add', 'allow', 'client-address', 'fe80::1%eth0', '--db', db)).toMatchObject({ code: 1, stderr: expect.stringMatching(/zone/) });
    const escape = await greyward('lists', 'add', 'allow', 'client-name', 'mail.example.com\u001b]0;owned\u0007', '--db', db);
    expect(escape).toMatchObject({ code: 1, stderr: expect.stringMatching(/control character \\x1b/) });
    expect(escape.stderr).not.toMatch(RAW_CONTROL);
    const comment = await greyward('lists', 'add', 'allow', 'client-name', 'mail.example.com', '--comment', 'a\u001b[2Jb', '--db', db);
    expect(comment).toMatchObject({ code: 1, stderr: expect.stringMatching(/control character \\x1b/) });
    expect(await ownEntries(db)).toEqual([]);
  });

  it('refuses a binary file at import without echoing its bytes', async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    const file = join(dir, 'whitelist.gz');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(file, bytes);
    const result = await greyward('lists', 'import', file, '--format', 'postgrey-clients', '--db', db);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/binary/);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr.length).toBeLessThan(2000);
    expect(await ownEntries(db)).toEqual([]);
  });

  it('shows a bad line of a text file with its control characters escaped, and refuses a deny-all line by its number', async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    const file = join(dir, 'clients');
    writeFileSync(file, 'mail.example.com\n\u001b[31mred.example\n');
    const result = await greyward('lists', 'import', file, '--format', 'postgrey-clients', '--db', db);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining(`${file}:2: `) });
    expect(result.stderr).toContain('\\x1b[31mred.example');
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    writeFileSync(file, 'spam.example\n/.*/\n');
    const deny = await greyward('lists', 'import', file, '--format', 'postgrey-clients', '--list', 'deny', '--db', db);
    expect(deny).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`${file}:2: .*matches the empty string`)) });
    expect(await ownEntries(db)).toEqual([]);
  });
});
