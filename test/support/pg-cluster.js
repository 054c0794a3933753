// A throw-away PostgreSQL cluster for the tests: Debian's initdb and pg_ctl, in a temporary
// directory, on a free loopback port, as the unprivileged user postgres when run as root.
// Stopped by the postmaster's PID, never by name.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { freeLoopbackPort } from './free-port.js';
const ROOT_USER = 'postgres';
/** Debian's newest PostgreSQL server binaries, if one is installed. */
function serverBinDir() {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base))
        return undefined;
    const versions = readdirSync(base)
        .filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a));
    return versions.length > 0 ? join(base, versions[0], 'bin') : undefined;
}
export function postgresAvailability() {
    const bin = serverBinDir();
    if (!bin)
        return { ok: false, why: 'PostgreSQL server (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)' };
    if (process.getuid?.() === 0 && spawnSync('id', ['-u', ROOT_USER]).status !== 0)
        return { ok: false, why: `the user ${ROOT_USER} (to run PostgreSQL as root)` };
    return { ok: true };
}
/** The command line that runs `bin` as the cluster's owner. */
function asOwner(bin, args) {
    return process.getuid?.() === 0 ? ['runuser', ['-u', ROOT_USER, '--', bin, ...args]] : [bin, args];
}
function run(bin, args) {
    const [command, rest] = asOwner(bin, args);
    execFileSync(command, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
}
/** As run, without holding up the tests' own sockets meanwhile. */
function runAsync(bin, args) {
    const [command, rest] = asOwner(bin, args);
    return new Promise((resolve, reject) => execFile(command, rest, (error, _stdout, stderr) => (error ? reject(new Error(`${bin} failed: ${stderr}`)) : resolve())));
}
/** Sends a signal; false if the process is gone. */
function signal(pid, name) {
    try {
        process.kill(pid, name);
        return true;
    }
    catch {
        return false;
    }
}
export async function startPgCluster() {
    const bin = serverBinDir();
    if (!bin)
        throw new Error(postgresAvailability().ok ? 'unreachable' : 'PostgreSQL is not installed');
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
    let pid;
    const startServer = async () => {
        await runAsync(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
        pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    };
    const stopServer = async () => {
        if (pid === undefined)
            return;
        const stopping = pid;
        pid = undefined;
        // Fast shutdown: clients are disconnected, what was committed stays.
        if (!signal(stopping, 'SIGINT'))
            return;
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
            if (!signal(stopping, 0))
                return;
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
            }
            finally {
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
//# sourceMappingURL=pg-cluster.js.map