// A private, throw-away Postfix instance for end-to-end tests.
//
// Every instance lives in its own mkdtemp directory (config, queue, data, mail log and
// delivered mail), listens on 127.0.0.1:<free port> only, never delivers outside the
// machine, and hands every RCPT TO to the policy service under test. The master runs in
// the foreground as our own child (`master -c DIR -s`), in its own process group, so
// stop() can end it, and everything it started, by PID. It neither needs nor touches the
// system Postfix (/etc/postfix, /var/spool/postfix, port 25).
//
// Needs root (Postfix refuses to run its master otherwise, and virtual(8) delivery
// switches to an unprivileged uid) and Debian's postfix package.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { findExecutable, type Availability } from './prerequisites.js';
import { assertSafeValue, assertTraversable, lookupId, mainCf, masterCf, writeConfigFile } from './postfix-config.js';

export interface StartPostfixOptions {
  /** Where smtpd asks about each recipient: 'inet:127.0.0.1:10023' or 'unix:/abs/path'. */
  policyService: string;
  /** The domain delivered into mailDir. Default 'greyward.test'. */
  domain?: string;
  /** Extra main.cf settings, applied last (they override the harness defaults). */
  mainCf?: Record<string, string>;
  /** How long to wait for the "220" banner. Default 20 s. */
  startTimeoutMs?: number;
}

export interface PostfixInstance {
  /** The SMTP port on 127.0.0.1. */
  smtpPort: number;
  /** PID of the master process (also its process-group id). */
  pid: number;
  /** The temp directory holding everything below; removed by stop(). */
  baseDir: string;
  /** Holds main.cf and master.cf (`postfix -c configDir ...`, `postconf -c configDir ...`). */
  configDir: string;
  /** virtual_mailbox_base: delivered mail lands in mailDir/inbox/{new,cur}/ (Maildir). */
  mailDir: string;
  /** Path of the instance's mail log (maillog_file via postlogd). */
  mailLogPath: string;
  /** Sends SIGTERM to the master, waits (SIGKILL after a timeout), removes baseDir. Idempotent. */
  stop(): Promise<void>;
  /** Contents of every delivered message, oldest first. Delivery is asynchronous: see waitForDelivery. */
  deliveredMessages(): string[];
  /** Resolves with the delivered messages once there are at least `count`; rejects after timeoutMs. */
  waitForDelivery(count?: number, timeoutMs?: number): Promise<string[]>;
  /** The instance's mail log so far ('' if none yet). */
  mailLog(): string;
}

const DEFAULT_DOMAIN = 'greyward.test';
const live = new Set<ChildProcess>();

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test forgets stop(): never leave a master (and its group) running.
  process.on('exit', () => {
    for (const child of live) {
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    }
  });
}

interface PostfixBinaries {
  postfix: string;
  postconf: string;
  master: string;
}

function locatePostfix(): PostfixBinaries | string {
  const postfix = findExecutable('postfix');
  const postconf = findExecutable('postconf');
  if (!postfix || !postconf) {
    return 'postfix/postconf not found in PATH or /usr/sbin (Debian: apt-get install postfix)';
  }
  let daemonDir: string;
  try {
    daemonDir = execFileSync(postconf, ['-dh', 'daemon_directory'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // it warns when there is no system master.cf
      timeout: 10_000,
    }).trim();
  } catch (err) {
    return `'postconf -dh daemon_directory' failed: ${(err as Error).message}`;
  }
  const master = path.join(daemonDir, 'master');
  try {
    accessSync(master, fsConstants.X_OK);
  } catch {
    return `Postfix master daemon not found at ${master}`;
  }
  return { postfix, postconf, master };
}

/** Whether this machine can run startPostfix(): Postfix installed and running as root. */
export function postfixAvailable(): Availability {
  if (process.platform !== 'linux') return { ok: false, why: `Postfix harness needs Linux, not ${process.platform}` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, why: 'Postfix harness needs root (the master daemon refuses to run otherwise)' };
  }
  const found = locatePostfix();
  return typeof found === 'string' ? { ok: false, why: found } : { ok: true };
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the first line the server sends, or rejects; always closes the socket. */
function readBanner(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error('no banner')), timeoutMs);
    function finish(err: Error | undefined, line?: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (line !== undefined && !socket.destroyed) {
        socket.end('QUIT\r\n');
        setTimeout(() => socket.destroy(), 500).unref();
      } else {
        socket.destroy();
      }
      if (err) reject(err);
      else resolve(line ?? '');
    }
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) finish(undefined, buffer.slice(0, end).replace(/\r$/, ''));
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('closed before banner')));
  });
}

function collectMaildirFiles(dir: string, out: { file: string; mtimeMs: number }[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'tmp') continue; // Maildir: tmp/ holds deliveries still being written
      collectMaildirFiles(full, out);
    } else if (entry.isFile()) {
      const parent = path.basename(dir);
      if (parent === 'new' || parent === 'cur') out.push({ file: full, mtimeMs: statSync(full).mtimeMs });
    }
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

function spawnMaster(masterPath: string, configDir: string, outPath: string): Running {
  const out = openSync(outPath, 'a');
  let child: ChildProcess;
  try {
    // -s: stay in the foreground (what `postfix start-fg` uses). detached: a new session and
    // process group led by the master, whose SIGTERM handler signals its whole group.
    child = spawn(masterPath, ['-c', configDir, '-s'], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, MAIL_CONFIG: configDir },
    });
  } finally {
    closeSync(out);
  }
  const running: Running = { child, exited: Promise.resolve(), exitInfo: undefined };
  running.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.exitInfo = { code, signal };
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      running.exitInfo = { code: null, signal: null };
      live.delete(child);
      writeFileSync(outPath, `spawn error: ${err.message}\n`, { flag: 'a' });
      resolve();
    });
  });
  live.add(child);
  installExitHook();
  return running;
}

async function stopMaster(running: Running, timeoutMs: number): Promise<void> {
  const pid = running.child.pid;
  if (pid === undefined) return;
  if (running.exitInfo === undefined) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timedOut = await Promise.race([running.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      killGroup(pid, 'SIGKILL');
      await Promise.race([running.exited, sleep(2_000)]);
    }
  }
  // The master SIGTERMs its group on the way out; make sure no daemon lingers either way.
  killGroup(pid, 'SIGKILL');
}

/** Starts a private Postfix instance; see the file comment. Throws with the logs if it does not come up. */
export async function startPostfix(opts: StartPostfixOptions): Promise<PostfixInstance> {
  const binaries = locatePostfix();
  if (typeof binaries === 'string') throw new Error(`startPostfix: ${binaries}`);
  const domain = opts.domain ?? DEFAULT_DOMAIN;
  assertSafeValue('domain', domain, /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/);
  assertSafeValue('policyService', opts.policyService, /^(?:inet:[^\s,]+:\d+|unix:[^\s,]+)$/);
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;

  const baseDir = mkdtempSync(path.join(os.tmpdir(), 'greyward-postfix-'));
  let running: Running | undefined;
  try {
    chmodSync(baseDir, 0o755); // postfix and nobody must traverse it
    assertTraversable(baseDir);
    const configDir = path.join(baseDir, 'etc');
    const queueDir = path.join(baseDir, 'spool');
    const dataDir = path.join(baseDir, 'data'); // created by `postfix check`, owned by postfix
    const mailDir = path.join(baseDir, 'mail');
    const mailLogPath = path.join(baseDir, 'maillog');
    const masterOutPath = path.join(baseDir, 'master.out');
    mkdirSync(configDir, { mode: 0o755 });
    mkdirSync(queueDir, { mode: 0o755 });
    mkdirSync(mailDir, { mode: 0o755 });
    const mailUid = lookupId('/etc/passwd', 'nobody', 65534);
    const mailGid = lookupId('/etc/group', 'nogroup', 65534);
    chownSync(mailDir, mailUid, mailGid);

    writeConfigFile(
      path.join(configDir, 'main.cf'),
      mainCf({
        baseDir,
        configDir,
        queueDir,
        dataDir,
        mailDir,
        mailLogPath,
        domain,
        policyService: opts.policyService,
        mailUid,
        mailGid,
        extra: opts.mainCf ?? {},
      }),
    );

    const logs = (): string =>
      `--- ${mailLogPath}\n${readIfExists(mailLogPath)}--- ${masterOutPath}\n${readIfExists(masterOutPath)}`;

    // The smtpd port is only reserved by the master's bind(); if another process wins the
    // race for the free port we were given, try another one.
    let smtpPort = 0;
    for (let attempt = 1; ; attempt++) {
      smtpPort = await freeLoopbackPort();
      writeConfigFile(path.join(configDir, 'master.cf'), masterCf(smtpPort));
      if (attempt === 1) {
        // Creates the queue and data directories with Postfix's own owners and modes
        // (post-install create-missing), validates the configuration, runs postsuper.
        try {
          execFileSync(binaries.postfix, ['-c', configDir, 'check'], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 60_000,
            env: { ...process.env, MAIL_CONFIG: configDir },
          });
        } catch (err) {
          const e = err as Error & { stdout?: string; stderr?: string };
          throw new Error(`startPostfix: 'postfix -c ${configDir} check' failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${logs()}`);
        }
      }
      running = spawnMaster(binaries.master, configDir, masterOutPath);
      const deadline = Date.now() + startTimeoutMs;
      let banner = '';
      while (Date.now() < deadline && running.exitInfo === undefined) {
        try {
          banner = await readBanner(smtpPort, 2_000);
          break;
        } catch {
          await sleep(50);
        }
      }
      if (banner.startsWith('220')) break;
      const log = logs();
      await stopMaster(running, 5_000);
      running = undefined;
      if (attempt < 3 && /address already in use/i.test(log)) continue;
      const why = banner ? `unexpected banner ${JSON.stringify(banner)}` : 'no 220 banner';
      throw new Error(`startPostfix: Postfix did not come up on 127.0.0.1:${smtpPort} (${why})\n${log}`);
    }

    const master = running;
    const pid = master.child.pid as number;
    let stopped: Promise<void> | undefined;

    const deliveredMessages = (): string[] => {
      const files: { file: string; mtimeMs: number }[] = [];
      collectMaildirFiles(mailDir, files);
      files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.file.localeCompare(b.file));
      return files.map((f) => readFileSync(f.file, 'utf8'));
    };

    return {
      smtpPort,
      pid,
      baseDir,
      configDir,
      mailDir,
      mailLogPath,
      deliveredMessages,
      mailLog: () => readIfExists(mailLogPath),
      async waitForDelivery(count = 1, timeoutMs = 10_000): Promise<string[]> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const messages = deliveredMessages();
          if (messages.length >= count) return messages;
          if (Date.now() > deadline) {
            throw new Error(
              `waitForDelivery: ${messages.length} of ${count} message(s) delivered after ${timeoutMs} ms\n${logs()}`,
            );
          }
          await sleep(50);
        }
      },
      stop(): Promise<void> {
        stopped ??= (async () => {
          await stopMaster(master, 10_000);
          if (process.env.GREYWARD_KEEP_POSTFIX_DIR === '1') {
            process.stderr.write(`postfix harness: kept ${baseDir}\n`);
            return;
          }
          rmSync(baseDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (running) await stopMaster(running, 5_000);
    if (process.env.GREYWARD_KEEP_POSTFIX_DIR !== '1' && existsSync(baseDir)) {
      rmSync(baseDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
    throw err;
  }
}
