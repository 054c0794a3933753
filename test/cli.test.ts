import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { greyward } from './support/greyward-process.js';
import { tempDirs } from './support/temp-dirs.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/postgrey/', import.meta.url));
const tempDir = tempDirs('greyward-cli-');

describe('greyward command line', () => {
  it('is linked as node_modules/.bin/greyward after npm ci, so that npx greyward runs this checkout', async () => {
    const linked = fileURLToPath(new URL('../node_modules/.bin/greyward', import.meta.url));
    const version = await new Promise<string>((resolve, reject) =>
      execFile(linked, ['--version'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([[], ['filter'], ['check'], ['settings'], ['settings', 'show'], ['settings', 'set'], ['settings', 'reset'], ['lists'], ['lists', 'show'], ['lists', 'add'], ['lists', 'edit'], ['lists', 'remove'], ['lists', 'import'], ['lists', 'export']])(
    'greyward %s --help explains itself',
    async (...command) => {
      const result = await greyward(...command, '--help');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: greyward/);
    },
  );

  it('shows settings with defaults, changes them with units, and refuses a bad value with the reason', async () => {
    const db = join(tempDir(), 'g.db');
    const shown = JSON.parse((await greyward('settings', 'show', '--db', db, '--json')).stdout);
    expect(shown.settings).toMatchObject({ delay: 300, retryWindow: 172_800, clientPrefixV4: 24 });
    expect(await greyward('settings', 'set', 'delay', '2m', '--db', db)).toMatchObject({ code: 0, stdout: 'delay = 2m\n' });
    expect(JSON.parse((await greyward('settings', 'show', '--db', db, '--json')).stdout).settings.delay).toBe(120);
    expect((await greyward('settings', 'show', '--db', db)).stdout).toMatch(/^delay\s+2m\s+5m\s+how long a new triplet/m);
    const bad = await greyward('settings', 'set', 'delay', 'soonish', '--db', db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/greyward: delay: "soonish" is not a duration/);
    const unknown = await greyward('settings', 'set', 'delai', '5m', '--db', db);
    expect(unknown.stderr).toMatch(/unknown setting "delai"; known settings: delay, /);
    expect((await greyward('settings', 'reset', 'delay', '--db', db)).stdout).toBe('delay = 5m (default)\n');
  });

  it('adds, shows and removes list entries, and refuses an invalid CIDR without adding anything', async () => {
    const db = join(tempDir(), 'g.db');
    expect((await greyward('lists', 'add', 'allow', 'client-address', '192.0.2.9/24', '--comment', 'partner MX', '--db', db)).stdout).toBe('added to the allow list\n');
    expect((await greyward('lists', 'add', 'allow', 'client-address', '192.0.2.0/24', '--db', db)).stdout).toBe('already on the allow list\n');
    const bad = await greyward('lists', 'add', 'deny', 'client-address', '192.0.2.0/40', '--db', db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/prefix length must be a number from 0 to 32/);
    const entries = JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout) as Array<{ id: number; source: string }>;
    const own = entries.filter((e) => e.source !== 'default');
    expect(own).toEqual([expect.objectContaining({ list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', comment: 'partner MX', source: 'cli', hits: 0 })]);
    expect((await greyward('lists', 'show', '--db', db)).stdout).toMatch(/allow\s+client-address\s+192\.0\.2\.0\/24\s+0\s+-\s+-\s+partner MX/);
    expect((await greyward('lists', 'remove', String(own[0]!.id), '--db', db)).stdout).toBe('removed 1 of 1\n');
    // The defaults a new database starts with are removed like any entry.
    const defaults = entries.filter((e) => e.source === 'default').map((e) => String(e.id));
    expect(defaults).toHaveLength(2);
    expect((await greyward('lists', 'remove', ...defaults, '--db', db)).stdout).toBe('removed 2 of 2\n');
    expect((await greyward('lists', 'show', '--db', db)).stdout).toBe('no entries\n');
  });

  it('check tells what would happen and why, and changes nothing', async () => {
    const db = join(tempDir(), 'g.db');
    await greyward('settings', 'show', '--db', db);
    const ask = ['check', '--db', db, '--client-address', '198.51.100.7', '--sender', 'alice@example.com', '--recipient', 'bob@example.net', '--json'];
    const first = JSON.parse((await greyward(...ask)).stdout);
    expect(first).toMatchObject({ action: 'defer', reason: 'new', reply: 'DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds' });
    expect(JSON.parse((await greyward(...ask)).stdout).reason).toBe('new');
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare('SELECT (SELECT count(*) FROM triplets) + (SELECT count(*) FROM attempts)').pluck().get()).toBe(0);
    raw.close();
    await greyward('lists', 'add', 'deny', 'sender-domain', 'example.com', '--db', db);
    const text = await greyward(...ask.slice(0, -1));
    expect(text.stdout).toMatch(/^reject: REJECT 5\.7\.1 Rejected by local policy\nreason: deny-list\nrule: deny sender-domain example\.com \(#\d+\)\n$/);
  });

  it("imports Debian's postgrey whitelists and exports them back", async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    const imported = await greyward('lists', 'import', join(FIXTURES, 'whitelist_clients'), '--format', 'postgrey-clients', '--db', db);
    expect(imported).toMatchObject({ code: 0, stdout: 'imported 164 entries into the allow list (0 already there)\n' });
    const recipients = await greyward('lists', 'import', join(FIXTURES, 'whitelist_recipients'), '--format', 'postgrey-recipients', '--db', db);
    // postmaster@ and abuse@, which a new database allows already.
    expect(recipients.stdout).toBe('imported 0 entries into the allow list (2 already there)\n');
    const out = join(dir, 'exported_clients');
    expect((await greyward('lists', 'export', out, '--format', 'postgrey-clients', '--db', db)).code).toBe(0);
    const copy = join(dir, 'copy.db');
    expect((await greyward('lists', 'import', out, '--format', 'postgrey-clients', '--db', copy)).stdout).toMatch(/^imported 164 entries/);
    const patterns = async (path: string) => (JSON.parse((await greyward('lists', 'show', '--list', 'allow', '--db', path, '--json')).stdout) as Array<{ kind: string; pattern: string }>).filter((e) => e.kind.startsWith('client')).map((e) => `${e.kind} ${e.pattern}`).sort();
    expect(await patterns(copy)).toEqual(await patterns(db));
    expect(readFileSync(out, 'utf8')).toMatch(/^# exported by Greyward/);
  });

  it("imports Debian's sqlgrey whitelists", async () => {
    const db = join(tempDir(), 'g.db');
    const sqlgrey = fileURLToPath(new URL('./fixtures/sqlgrey/', import.meta.url));
    const ip = await greyward('lists', 'import', join(sqlgrey, 'clients_ip_whitelist'), '--format', 'sqlgrey-clients-ip', '--db', db);
    expect(ip).toMatchObject({ code: 0, stdout: expect.stringMatching(/^imported \d+ entries into the allow list/) });
    const fqdn = await greyward('lists', 'import', join(sqlgrey, 'clients_fqdn_whitelist'), '--format', 'sqlgrey-clients-fqdn', '--db', db);
    expect(fqdn).toMatchObject({ code: 0, stdout: expect.stringMatching(/^imported \d+ entries/) });
    const exported = await greyward('lists', 'export', '-', '--format', 'sqlgrey-clients-fqdn', '--db', db);
    expect(exported.stdout).toMatch(/^southwest\.com\n\*\.southwest\.com$/m);
  });

  it('reports a bad line of an import file by number and imports nothing', async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    const file = join(dir, 'clients');
    writeFileSync(file, '# partners\nmail.example.com\n192.0.2.0/24\n300.1.2.3/24\n/(a)\\1/\nexample.org\n');
    const result = await greyward('lists', 'import', file, '--format', 'postgrey-clients', '--db', db);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:4: `);
    expect(result.stderr).toContain(`${file}:5: `);
    expect(result.stderr).toMatch(/2 bad lines in .*; nothing was imported/);
    expect(JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout).filter((e: { source: string }) => e.source !== 'default')).toEqual([]);
  });

  it('says what is wrong with a database it cannot use', async () => {
    const result = await greyward('lists', 'show', '--db', '/nonexistent-dir/g.db');
    expect(result).toMatchObject({ code: 1, stderr: expect.stringMatching(/^greyward: cannot open \/nonexistent-dir\/g\.db/) });
  });
});
