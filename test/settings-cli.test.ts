// `greyward settings` and duration options as an administrator meets them: settings checked
// together before anything is written, warnings that say why a value is risky, the listening
// settings checked as the filter checks them when it starts, and durations that need a unit.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { greyward } from './support/greyward-process.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDb(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-settings-'));
  dirs.push(dir);
  return { dir, db: join(dir, 'g.db') };
}
const shown = async (db: string) => JSON.parse((await greyward('settings', 'show', '--db', db, '--json')).stdout) as { settings: Record<string, unknown>; problems: string[] };

describe('greyward settings', () => {
  it('refuses a delay the retry window leaves no room for, says how much room is needed, and saves nothing', async () => {
    const { db } = tempDb();
    expect((await greyward('settings', 'set', 'retryWindow', '2h', '--db', db)).code).toBe(0);
    const refused = await greyward('settings', 'set', 'delay', '90m', '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/retryWindow \(2h\) must be at least delay \+ 1h \(150m\)/);
    expect(refused.stderr).toMatch(/nothing was saved/);
    expect((await shown(db)).settings).toMatchObject({ delay: 300, retryWindow: 7200 });

    expect((await greyward('settings', 'set', 'maxAge', '3d', '--db', db)).code).toBe(0);
    const maxAge = await greyward('settings', 'set', 'retryWindow', '5d', '--db', db);
    expect(maxAge).toMatchObject({ code: 1, stderr: expect.stringMatching(/maxAge \(3d\) must not be shorter than retryWindow \(5d\)/) });
  });

  it('saves a risky value with a warning that says why it is risky', async () => {
    const { db } = tempDb();
    const short = await greyward('settings', 'set', 'delay', '10s', '--db', db);
    expect(short).toMatchObject({ code: 0, stdout: 'delay = 10s\n' });
    expect(short.stderr).toMatch(/^warning: delay 10s is under 30s: .*retry within seconds/m);
    const long = await greyward('settings', 'set', 'delay', '2h', '--db', db);
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(/^warning: delay 2h is over 1h: /m);
    expect((await shown(db)).settings.delay).toBe(7200);
  });

  it('shows an impossible combination written by other means as a problem, with the defaults that apply', async () => {
    const { db } = tempDb();
    await greyward('settings', 'show', '--db', db);
    const raw = new Database(db);
    raw.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('delay', '600', 0), ('retryWindow', '300', 0)").run();
    raw.close();
    const { settings, problems } = await shown(db);
    expect(settings).toMatchObject({ delay: 300, retryWindow: 172_800 });
    expect(problems).toEqual([expect.stringMatching(/using the defaults delay 5m, retryWindow 2d/)]);
  });

  it('refuses a listen address or socket the filter could not start with, with the message the filter gives', async () => {
    const { dir, db } = tempDb();
    for (const [key, value, message] of [
      ['listen', 'foo', /"foo" is not a listen address/],
      ['listen', '127.0.0.1:99999', /port 99999 is out of range/],
      ['listen', '192.0.2.1:10023', /192\.0\.2\.1 is not an address of this machine/],
      ['socket', '/etc/passwd', /\/etc\/passwd exists and is not a socket/],
      ['socket', join(dir, 'missing', 'policy.sock'), /directory .*missing does not exist/],
    ] as const) {
      const result = await greyward('settings', 'set', key, value, '--db', db);
      expect(result.code, `${key} ${value}`).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    expect((await shown(db)).settings).toMatchObject({ listen: '127.0.0.1:10023', socket: '' });
    // The filter refuses the same socket with the same words when it starts.
    const filter = await greyward('filter', '--db', db, '--socket', '/etc/passwd');
    expect(filter.code).not.toBe(0);
    expect(filter.stderr).toMatch(/\/etc\/passwd exists and is not a socket/);
  });

  it('says that a new listen address or socket needs a restart of the filter', async () => {
    const { dir, db } = tempDb();
    mkdirSync(join(dir, 'run'));
    const socket = await greyward('settings', 'set', 'socket', join(dir, 'run', 'policy.sock'), '--db', db);
    expect(socket.code).toBe(0);
    expect(socket.stdout).toMatch(/^socket = .*policy\.sock\n/);
    expect(socket.stdout).toMatch(/a running filter uses it after a restart/);
    const delay = await greyward('settings', 'set', 'delay', '4m', '--db', db);
    expect(delay.stdout).toBe('delay = 4m\n');
  });

  it('refuses a reply template with an unknown placeholder, and shows a rendered example of a good one', async () => {
    const { db } = tempDb();
    const bad = await greyward('settings', 'set', 'deferReply', 'Come back in {bogus}', '--db', db);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown placeholder \{bogus\}; known: \{seconds\} \{delay\}/) });
    const good = await greyward('settings', 'set', 'deferReply', 'Busy, retry in {seconds}s', '--db', db);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('e.g. DEFER_IF_PERMIT 4.7.1 Busy, retry in 300s');
  });

  it('needs a unit on every duration, and says the rule in its help', async () => {
    const { db } = tempDb();
    const bare = await greyward('settings', 'set', 'delay', '300', '--db', db);
    expect(bare).toMatchObject({ code: 1, stderr: expect.stringMatching(/"300" has no unit: write 300s, 300m, 300h, 300d or 300w/) });
    expect((await greyward('settings', 'set', '--help')).stdout).toMatch(/durations\s+need\s+a\s+unit/);

    const expires = await greyward('lists', 'add', 'allow', 'sender-domain', 'partner.example', '--expires', '7', '--db', db);
    expect(expires.code).toBe(1);
    expect(expires.stderr).toMatch(/"7" has no unit: write 7s, 7m, 7h, 7d or 7w/);
    const entries = JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout) as Array<{ source: string }>;
    expect(entries.filter((entry) => entry.source !== 'default')).toEqual([]);
    expect((await greyward('lists', 'add', '--help')).stdout).toMatch(/durations\s+need\s+a\s+unit/);
    expect((await greyward('lists', 'add', 'allow', 'sender-domain', 'partner.example', '--expires', '7d', '--db', db)).code).toBe(0);
    const listed = JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout) as Array<{ pattern: string; expiresAt: number }>;
    const entry = listed.find((e) => e.pattern === 'partner.example');
    expect(entry!.expiresAt - Date.now() / 1000).toBeGreaterThan(7 * 86_400 - 60);
  });
});
