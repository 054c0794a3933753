// Start/stop helpers for the servers under benchmark: Debian's postgrey and
// sqlgrey, the noop ceiling and greyward. Each start* returns
// { name, port, pid, stop() } once the port accepts connections.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDataRoot } from './disk-io.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const READY_TIMEOUT_MS = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 20_000);

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A new directory for one server's files, on a disk whose writes /proc/PID/io counts (see disk-io.mjs). */
export function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(benchDataRoot(), `greyward-bench-${prefix}-`));
  // The perl daemons drop to their own user; it must reach and write the dir.
  fs.chmodSync(dir, 0o755);
  return dir;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolve when `child` has exited, or after `ms` with false. */
function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Spawn a server process with stderr (and stdout unless readyLine) going to a
 * log file, then wait for its port. If readyLine, the port is parsed from the
 * first stdout line `ready tcp=HOST:PORT`.
 */
async function launch({ name, command, args, dir, port, readyLine = false, cleanup, env }) {
  const logFile = path.join(dir, `${name}.log`);
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', readyLine ? 'pipe' : logFd, logFd],
    cwd: path.resolve(BENCH_DIR, '..'),
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  fs.closeSync(logFd);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((exited = { code, signal })));
    child.once('error', (err) => resolve((exited = { error: err.message })));
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGTERM');
      if (!(await waitForExit(child, 5000))) process.kill(child.pid, 'SIGKILL');
      await waitForExit(child, 5000);
    }
    cleanup?.();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const failure = async (why) => {
    const log = tail(logFile);
    await stop();
    return new Error(`${name} did not start: ${why}${log ? `\n--- ${name} log ---\n${log}` : ''}`);
  };

  if (readyLine) {
    const first = await Promise.race([
      new Promise((resolve) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const nl = out.indexOf('\n');
          if (nl >= 0) resolve(out.slice(0, nl));
        });
      }),
      exitPromise.then(() => null),
      new Promise((resolve) => setTimeout(() => resolve(undefined), READY_TIMEOUT_MS)),
    ]);
    // Keep draining stdout so the server never blocks on a full pipe.
    child.stdout?.resume();
    if (first === null) throw await failure(`exited early (${JSON.stringify(exited)})`);
    if (first === undefined) throw await failure('no ready line on stdout');
    const match = /^ready tcp=[^\s]*:(\d+)\s*$/.exec(first);
    if (!match) throw await failure(`unexpected first stdout line: ${JSON.stringify(first)}`);
    port = Number(match[1]);
  }

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited) throw await failure(`exited early (${JSON.stringify(exited)})`);
    if (Date.now() > deadline) throw await failure(`port ${port} not accepting connections`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, port, pid: child.pid, logFile, stop };
}

/** chown dir to a system user when we are root (the daemons drop privileges to it). */
function giveDirTo(dir, user) {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  fs.chownSync(dir, uid, gid);
}

function runAsArgs() {
  // Not root: Net::Server cannot switch users, so stay as ourselves.
  if (process.getuid?.() === 0) return null;
  const { username } = os.userInfo();
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  return { user: username, group };
}

export async function startNoop() {
  const dir = makeTempDir('noop');
  const script = path.join(BENCH_DIR, 'noop-policy-server.mjs');
  return launch({ name: 'noop', command: process.execPath, args: [script], dir, readyLine: true });
}

/** postgrey in the foreground (no --daemonize), BerkeleyDB in a temp --dbdir. */
export async function startPostgrey({ delaySeconds = 300, extraArgs = [] } = {}) {
  const dir = makeTempDir('postgrey');
  giveDirTo(dir, 'postgrey');
  const port = await freePort();
  const runAs = runAsArgs();
  const args = [
    `--inet=127.0.0.1:${port}`,
    `--dbdir=${dir}`,
    `--delay=${delaySeconds}`,
    `--hostname=bench.invalid`,
    ...(runAs ? [`--user=${runAs.user}`, `--group=${runAs.group}`] : []),
    ...extraArgs,
  ];
  return launch({ name: 'postgrey', command: '/usr/sbin/postgrey', args, dir, port });
}

/** sqlgrey in the foreground with a temp config using its SQLite backend. */
export async function startSqlgrey({ reconnectDelayMinutes = 5, extraConfig = {} } = {}) {
  const dir = makeTempDir('sqlgrey');
  giveDirTo(dir, 'sqlgrey');
  const port = await freePort();
  const runAs = runAsArgs() ?? { user: 'sqlgrey', group: 'sqlgrey' };
  const config = {
    user: runAs.user,
    group: runAs.group,
    inet: `127.0.0.1:${port}`,
    pidfile: path.join(dir, 'sqlgrey.pid'),
    db_type: 'SQLite',
    db_name: path.join(dir, 'sqlgrey.db'),
    reconnect_delay: reconnectDelayMinutes,
    // Empty: no notification mails when the database misbehaves.
    admin_mail: '',
    ...extraConfig,
  };
  const configFile = path.join(dir, 'sqlgrey.conf');
  fs.writeFileSync(
    configFile,
    Object.entries(config)
      .map(([key, value]) => `${key} = ${value}\n`)
      .join(''),
  );
  return launch({ name: 'sqlgrey', command: '/usr/sbin/sqlgrey', args: ['-f', configFile], dir, port });
}

/**
 * greyward's own daemon. `settings set delay` may not exist yet: failure of
 * that step is reported but tolerated.
 */
export async function startGreyward({ delay, dbPath } = {}) {
  const dir = makeTempDir('greyward');
  const db = dbPath ?? path.join(dir, 'greyward.db');
  const cli = path.resolve(BENCH_DIR, '..', 'bin', 'greyward.cjs');
  if (!fs.existsSync(cli)) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`greyward did not start: ${cli} does not exist`);
  }
  let note;
  if (delay) {
    try {
      execFileSync(process.execPath, [cli, 'settings', 'set', 'delay', delay, '--db', db], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
    } catch (err) {
      const why = (err.stderr?.toString() || err.message).trim().split('\n')[0];
      note = `"settings set delay ${delay}" failed (${why}); running with its default delay`;
    }
  }
  // The filter's Node flags (its heap caps) and environment, as `greyward filter` would apply them
  // itself by re-executing: given here, the process started is the filter, with no re-execution.
  const { greywardFilterEnv, greywardNodeFlags } = await import('../out/main/node-flags.js');
  const args = [...greywardNodeFlags(cli), cli, 'filter', '--db', db, '--listen', '127.0.0.1:0'];
  const server = await launch({ name: 'greyward', command: process.execPath, args, dir, readyLine: true, env: greywardFilterEnv(cli) });
  return { ...server, dbPath: db, note };
}

/** Resident set size of a process in MiB, from /proc/PID/status VmRSS. */
export function rssMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process has used, all its threads together, from /proc/PID/stat (utime + stime).
 * Kernel work done for it in softirq context (loopback TCP delivery) is not counted there.
 */
/** CPU seconds used so far by a process (all its threads), or with `thread`, by that one thread of it. */
export function cpuSeconds(pid, thread) {
  try {
    const stat = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
