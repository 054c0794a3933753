// The README's first-run command, as a newcomer pastes it: the first line on stdout must be the
// address to open, even though `npm ci` (with its build) runs first and talks a lot. npm and npx
// are stand-ins here (no registry): npm prints what a first `npm ci` prints, npx runs the
// checkout's greyward. The README's port is swapped for a free one.

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from './support/free-port.js';
import { CLI } from './support/greyward-process.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The shell command the README's first-run line hands to bash -c. */
function firstRunCommand(): string {
  const line = readFileSync(README, 'utf8')
    .split('\n')
    .find((text) => /^\s+npx -y -p node@22 -- bash -c '.*greyward ui .*'$/.test(text));
  if (!line) throw new Error('the README has no first-run line running greyward ui');
  return /bash -c '(.*)'$/.exec(line)![1]!;
}

describe("the README's first run", () => {
  it('prints the address to open as the first line on stdout, whatever npm ci prints', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greyward-readme-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bin = join(dir, 'bin');
    const tools = {
      npm: `#!/bin/sh\necho 'added 244 packages, and audited 245 packages in 41s'\necho '> greyward@0.1.0 prepare'\necho '✓ built in 841ms'\n`,
      npx: `#!/bin/sh\n[ "$1" = greyward ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`,
    };
    mkdirSync(bin);
    for (const [name, script] of Object.entries(tools)) {
      writeFileSync(join(bin, name), script);
      chmodSync(join(bin, name), 0o755);
    }
    const port = await freeLoopbackPort();
    const command = firstRunCommand().replace(/--port \d+/, `--port ${port}`);
    const filterPort = await freeLoopbackPort();
    const child = spawn('bash', ['-c', `${command} --listen 127.0.0.1:${filterPort}`], {
      cwd: dir,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(() => {
      // bash execs nothing: stop its whole group (greyward ui stops the filter it started on SIGTERM).
      // A shell killed by the signal has no exit code, only a signal code.
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await expect.poll(() => stdout.includes('\n') || child.exitCode !== null, { timeout: 30_000 }).toBe(true);
    expect(stdout.split('\n')[0], stderr).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[\\w-]+$`));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  });
});
