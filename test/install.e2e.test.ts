// Greyward installed as the README's "Installing on a mail server" says, then run by the command
// line of its systemd unit as an unprivileged user, with a real Postfix asking it over a UNIX
// socket inside Postfix's queue directory and swaks sending the mail.
//
// The package is `npm pack` of this checkout (built by `npm test` just before), installed with
// `npm install --global --prefix` into a fresh prefix whose bin/ holds the Node running this
// test (the README's "node in the prefix"); its runtime dependencies come from npm's cache or the
// registry, as on a mail server. The unit, sysusers and tmpfiles files are checked by systemd's
// own tools inside a scratch root; the filter itself runs as `nobody`, since the greyward user
// only exists inside that root.
//
// Needs root, Debian's postfix, swaks and systemd (for systemd-analyze, systemd-sysusers and
// systemd-tmpfiles), npm, and the npm registry or a cache holding the dependencies.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDecisionLine } from './support/greyward-process.js';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { lookupId } from './support/postfix-config.js';
import { findExecutable, missingOf, prerequisitesMet, type Availability } from './support/prerequisites.js';
import { rcptReply, sendMail, swaksAvailable } from './support/swaks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const DELAY_S = 2;
const RETRY_AFTER_MS = DELAY_S * 1000 + 300;
/** Where the unit expects the package and its database. */
const UNIT_PREFIX = '/opt/greyward';
const UNIT_STATE = '/var/lib/greyward';

/** npm's own script, run with the Node running the tests. */
function npmCli(): string | undefined {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /np[mx]-cli\.js$/.test(fromNpm)) return path.join(path.dirname(fromNpm), 'npm-cli.js');
  const npm = findExecutable('npm');
  return npm ? realpathSync(npm) : undefined;
}

function tools(): Availability {
  const missing = ['systemd-analyze', 'systemd-sysusers', 'systemd-tmpfiles'].filter((tool) => !findExecutable(tool));
  if (missing.length > 0) return { ok: false, why: `${missing.join(', ')} not found (Debian: apt-get install systemd)` };
  return npmCli() ? { ok: true } : { ok: false, why: 'npm not found' };
}

const missing = missingOf([postfixAvailable(), swaksAvailable(), tools()]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

async function runOk(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** The environment of a nested npm: none of the settings `npm test` passes to its scripts about this checkout. */
function npmEnv(pathDirs: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_(prefix|global|location|local_prefix)$)/.test(key)) continue;
    env[key] = value;
  }
  env.PATH = [...pathDirs, process.env.PATH ?? ''].join(path.delimiter);
  return env;
}

/** The [Service] lines of a unit as key → values, in order. */
function serviceSettings(unit: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!;
    else if (section === 'Service') {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  return settings;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

describe('Greyward installed from its package, run by its systemd unit', () => {
  if (!prerequisitesMet(missing)) return;

  const nobody = { uid: lookupId('/etc/passwd', 'nobody', 65534), gid: lookupId('/etc/group', 'nogroup', 65534) };
  let dir = '';
  let prefix = '';
  let installed = '';
  let postfix: PostfixInstance | undefined;
  let filter: ChildProcess | undefined;
  let filterStderr = '';

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'out', 'main', 'cli', 'index.js'))) throw new Error('out/ missing: run `npm run build` before this suite');
    dir = mkdtempSync(path.join(os.tmpdir(), 'greyward-install-'));
    chmodSync(dir, 0o755); // nobody runs the installed filter from inside
    const npm = npmCli()!;
    // What `npm pack` makes after its prepare script has built out/ (npm test built it already).
    const packed = JSON.parse(await runOk(process.execPath, [npm, 'pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, env: npmEnv([]), timeoutMs: 120_000 })) as Array<{ filename: string }>;
    const tarball = path.join(dir, packed[0]!.filename);

    prefix = path.join(dir, 'prefix');
    mkdirSync(path.join(prefix, 'bin'), { recursive: true });
    copyFileSync(realpathSync(process.execPath), path.join(prefix, 'bin', 'node'));
    chmodSync(path.join(prefix, 'bin', 'node'), 0o755);
    await runOk(process.execPath, [npm, 'install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--no-update-notifier', tarball], {
      cwd: dir,
      env: npmEnv([path.join(prefix, 'bin')]),
      timeoutMs: 240_000,
    });
    installed = path.join(prefix, 'lib', 'node_modules', 'greyward');
  }, 300_000);

  afterAll(async () => {
    await postfix?.stop();
    if (filter && filter.exitCode === null && filter.signalCode === null) {
      filter.kill('SIGKILL');
      await new Promise((resolve) => filter!.once('exit', resolve));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the built filter and its runtime dependencies only', () => {
    expect(statSync(path.join(prefix, 'bin', 'greyward')).mode & 0o111).not.toBe(0);
    const modules = readdirSync(path.join(installed, 'node_modules')).filter((name) => !name.startsWith('.'));
    const scoped = modules.flatMap((name) => (name.startsWith('@') ? readdirSync(path.join(installed, 'node_modules', name)).map((sub) => `${name}/${sub}`) : [name]));
    for (const dependency of Object.keys(PKG.dependencies)) expect(scoped).toContain(dependency);
    for (const devOnly of Object.keys(PKG.devDependencies)) expect(scoped).not.toContain(devOnly);
    expect(existsSync(path.join(installed, 'out', 'main', 'cli', 'index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'out', 'renderer', 'index.html'))).toBe(true);
    expect(existsSync(path.join(installed, 'out', 'test-typecheck'))).toBe(false);
    for (const file of ['greyward-filter.service', 'greyward.sysusers.conf', 'greyward.tmpfiles.conf']) expect(existsSync(path.join(installed, 'build', file))).toBe(true);
  });

  it("creates the filter's system user and its state and socket directories (systemd-sysusers, systemd-tmpfiles)", async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    for (const file of ['passwd', 'group', 'shadow', 'gshadow']) writeFileSync(path.join(root, 'etc', file), '');
    await runOk('systemd-sysusers', [`--root=${root}`, path.join(installed, 'build', 'greyward.sysusers.conf')]);
    const user = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').find((line) => line.startsWith('greyward:'));
    expect(user).toMatch(/^greyward:x:\d+:\d+:[^:]*:\/var\/lib\/greyward:\/usr\/sbin\/nologin$/);
    const uid = Number(user!.split(':')[2]);

    await runOk('systemd-tmpfiles', [`--root=${root}`, '--create', path.join(installed, 'build', 'greyward.tmpfiles.conf')]);
    const state = statSync(path.join(root, UNIT_STATE));
    expect([state.uid, state.mode & 0o777]).toEqual([uid, 0o750]);
    const sockets = statSync(path.join(root, 'var', 'spool', 'postfix', 'greyward'));
    expect([sockets.uid, sockets.mode & 0o777]).toEqual([uid, 0o755]);
  });

  it('has a unit that passes systemd-analyze verify as installed, and sends every decision line to the journal', async () => {
    const unit = readFileSync(path.join(installed, 'build', 'greyward-filter.service'), 'utf8');
    const unitFile = path.join(dir, 'greyward-filter.service');
    writeFileSync(unitFile, unit.replaceAll(UNIT_PREFIX, prefix));
    const verified = await run('systemd-analyze', ['verify', unitFile]);
    expect(`${verified.stdout}${verified.stderr}`).toBe('');
    expect(verified.code).toBe(0);

    const service = serviceSettings(unit);
    expect(service.get('User')).toEqual(['greyward']);
    expect(service.get('StandardError') ?? ['journal']).toEqual(['journal']);
    // journald drops what a service logs beyond 10,000 lines in 30 s unless the unit says otherwise.
    expect(service.get('LogRateLimitIntervalSec')).toEqual(['0']);
  });

  it("runs the unit's command as an unprivileged user on a UNIX socket in Postfix's queue directory: 450, then the retry passes", async () => {
    const service = serviceSettings(readFileSync(path.join(installed, 'build', 'greyward-filter.service'), 'utf8'));
    const local = (text: string) => text.replaceAll(UNIT_PREFIX, prefix).replaceAll(UNIT_STATE, path.join(dir, 'state'));
    const unitPath = /^PATH=(.+)$/.exec(service.get('Environment')?.find((value) => value.startsWith('PATH=')) ?? '')?.[1];
    expect(unitPath).toBeDefined();
    const env = { PATH: local(unitPath!), LANG: 'C.UTF-8' };
    const [command = '', ...args] = local(service.get('ExecStart')![0]!).split(/\s+/);
    const greyward = path.join(prefix, 'bin', 'greyward');
    const asNobody = { env, ...nobody, cwd: '/' };

    mkdirSync(path.join(dir, 'state'), { mode: 0o750 });
    chownSync(path.join(dir, 'state'), nobody.uid, nobody.gid);
    // The README's UNIX-socket recipe: check_policy_service unix:greyward/policy.sock, relative to the queue directory.
    postfix = await startPostfix({ policyService: 'unix:greyward/policy.sock' });
    const queue = (await runOk('postconf', ['-c', postfix.configDir, '-h', 'queue_directory'])).trim();
    const socketDir = path.join(queue, 'greyward');
    mkdirSync(socketDir, { mode: 0o755 });
    chownSync(socketDir, nobody.uid, nobody.gid);
    const socket = path.join(socketDir, 'policy.sock');

    const db = local(`${UNIT_STATE}/greyward.db`);
    for (const [name, value] of [['delay', `${DELAY_S}s`], ['autoAllowAfter', '0'], ['socket', socket], ['listen', '']] as const) {
      await runOk(greyward, ['settings', 'set', name, value, '--db', db], asNobody);
    }

    filter = spawn(command, args, { ...asNobody, stdio: ['ignore', 'pipe', 'pipe'] });
    filter.stderr!.setEncoding('utf8').on('data', (chunk: string) => (filterStderr += chunk));
    const ready = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      filter!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      filter!.once('exit', (code) => reject(new Error(`the installed filter exited (${code}):\n${filterStderr}`)));
    });
    expect(ready).toBe(`ready unix=${socket}`);
    expect(readFileSync(`/proc/${filter.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${nobody.uid}\\s`, 'm'));
    expect(statSync(socket).uid).toBe(nobody.uid);

    const debug = () => `\n--- maillog\n${postfix!.mailLog()}--- filter stderr\n${filterStderr}`;
    const mail = { port: postfix.smtpPort, from: 'alice@example.org', to: 'bob@greyward.test' };
    const first = await sendMail(mail);
    const firstDone = Date.now();
    expect(rcptReply(first.transcript)?.code, first.transcript + debug()).toBe(450);
    expect(rcptReply(first.transcript)?.text).toBe(`4.7.1 <bob@greyward.test>: Recipient address rejected: Greylisted, try again in ${DELAY_S} seconds`);

    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.exitCode).toBe(0);
    const [message = ''] = await postfix.waitForDelivery(1, 10_000);
    expect(message).toMatch(/^X-Greylist: delayed [23] seconds by Greyward-/m);

    await expect.poll(() => filterStderr.split('\n').filter((line) => line.startsWith('decision ')).length, { timeout: 5_000 }).toBe(2);
    const decisions = filterStderr.split('\n').filter((line) => line.startsWith('decision ')).map(parseDecisionLine);
    expect(decisions.map((d) => [d.sender, d.recipient, d.action, d.reason])).toEqual([
      ['alice@example.org', 'bob@greyward.test', 'defer', 'new'],
      ['alice@example.org', 'bob@greyward.test', 'pass', 'passed'],
    ]);
    expect(filterStderr).not.toMatch(/^(error|warning):/m);

    // SIGTERM while Postfix still holds its policy connection: the filter drains, exits 0 and removes its socket.
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => filter!.once('exit', (code, signal) => resolve([code, signal])));
    filter.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);
});
