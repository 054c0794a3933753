import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, type CliResult } from './support/greyward-process.js';
import { tempDirs } from './support/temp-dirs.js';

const tempDir = tempDirs('greyward-dbpath-');

/** The command line with exactly this environment (no GREYWARD_DB or XDG_DATA_HOME of the machine running the tests). */
function greywardWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const { GREYWARD_DB: _db, XDG_DATA_HOME: _data, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000, env: { ...inherited, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the database a command uses without --db', () => {
  it('is GREYWARD_DB when it is set, so that `greyward lists show` works on a configured host', async () => {
    const db = join(tempDir(), 'configured.db');
    const env = { GREYWARD_DB: db };
    expect(await greywardWith(env, 'lists', 'add', 'allow', 'client-address', '192.0.2.0/24')).toMatchObject({ code: 0, stdout: 'added to the allow list\n' });
    expect(existsSync(db)).toBe(true);
    expect((await greywardWith(env, 'lists', 'show')).stdout).toMatch(/allow\s+client-address\s+192\.0\.2\.0\/24/);
    // --db still wins over the environment.
    const other = join(tempDir(), 'other.db');
    expect((await greywardWith(env, 'lists', 'show', '--db', other)).stdout).not.toMatch(/192\.0\.2\.0\/24/);
  });

  it('says in --help where the database is taken from', async () => {
    const db = join(tempDir(), 'configured.db');
    for (const command of [['lists', 'show'], ['settings', 'set'], ['filter'], ['check'], ['suspects'], ['ui']]) {
      const help = (await greywardWith({ GREYWARD_DB: db }, ...command, '--help')).stdout.replace(/\s+/g, ' ');
      expect(help, command.join(' ')).toContain('env: GREYWARD_DB');
      expect(help, command.join(' ')).toMatch(/\/var\/lib\/greyward\/greyward\.db/);
      expect(help, command.join(' ')).toMatch(/XDG_DATA_HOME/);
    }
  });

  it.runIf(process.getuid?.() !== 0)('is $XDG_DATA_HOME/greyward/greyward.db for a user without the system database, its folder created', async () => {
    const data = join(tempDir(), 'data');
    expect((await greywardWith({ XDG_DATA_HOME: data }, 'settings', 'set', 'delay', '2m')).code).toBe(0);
    expect(existsSync(join(data, 'greyward', 'greyward.db'))).toBe(true);
    expect((await greywardWith({ XDG_DATA_HOME: data }, 'settings', 'show')).stdout).toMatch(/^delay\s+2m/m);
  });
});
