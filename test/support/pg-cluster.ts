// A throw-away PostgreSQL cluster for the tests: Debian's initdb and pg_ctl, in a temporary
// directory, on a free loopback port, as the unprivileged user postgres when run as root.
// Stopped by the postmaster's PID, never by name.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Availability } from './prerequisites.js';
import { freeLoopbackPort } from './free-port.js';

const ROOT_USER = 'postgres';

/** Debian's newest PostgreSQL server binaries, if one is installed. */
function serverBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0]!, 'bin') : undefined;
}

export function postgresAvailability(): Availability {
  const bin = serverBinDir();
  if (!bin) return { ok: false, why: 'PostgreSQL server (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)' };
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', ROOT_USER]).status !== 0) return { ok: false, why: `the user ${ROOT_USER} (to run PostgreSQL as root)` };
  return { ok: true };
}

export interface PgCluster {
  port: number;
  /** A URL for a new, empty database in this cluster. */
  createDatabase(): Promise<string>;
  /** Stops the server by its PID (the data stays), e.g. to see what the filter does while it is down. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  startServer(): Promise<void>;
  /** Stops the server by its PID and deletes the cluster. */
  destroy(): Promise<void>;
}

/** The command line that runs `bin` as the cluster's owner. */
function asOwner(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', ROOT_USER, '--', bin, ...args]] : [bin, args];
}

function run(bin: string, args: string[]): void {
  const [command, rest] = asOwner(bin, args);
  execFileSync(command, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** As run, without holding up the tests' own sockets meanwhile. */
function runAsync(bin: string, args: string[]): Promise<void> {
  const [command, rest] = asOwner(bin, args);
  return new Promise((resolve, reject) => execFile(command, rest, (error, _stdout, stderr) => (error ? reject(new Error(`${bin} failed: ${stderr}`)) : resolve())));
}

/** Sends a signal; false if the process is gone. */
function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = serverBinDir();
  if (!bin) throw new Error(postgresAvailability().ok ? 'unreachable' : 'PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'greyward-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', ROOT_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', ROOT_USER], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freeLoopbackPort();
  run(join(bin, 'initdb'), ['-D', data, '-U', 'greyward', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let pid: number | undefined;
  const startServer = async () => {
    await runAsync(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  };
  const stopServer = async () => {
    if (pid === undefined) return;
    const stopping = pid;
    pid = undefined;
    // Fast shutdown: clients are disconnected, what was committed stays.
    if (!signal(stopping, 'SIGINT')) return;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (!signal(stopping, 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    signal(stopping, 'SIGKILL');
  };
  await startServer();
  const admin = `postgres://greyward@127.0.0.1:${port}/postgres`;
  return {
    port,
    createDatabase: async () => {
      const name = `greyward_${randomBytes(6).toString('hex')}`;
      const sql = postgres(admin, { onnotice: () => undefined, max: 1 });
      try {
        await sql.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await sql.end();
      }
      return `postgres://greyward@127.0.0.1:${port}/${name}`;
    },
    stopServer,
    startServer,
    destroy: async () => {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Inside a describe block: one cluster started before its tests and deleted after them, and
 * cleanups (filters, stores) run after each test, newest first.
 */
export function suiteCluster(): { cluster: () => PgCluster; cleanups: Array<() => Promise<unknown>> } {
  let started: PgCluster | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    started = await startPgCluster();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  afterAll(async () => started?.destroy());
  return { cluster: () => started!, cleanups };
}
