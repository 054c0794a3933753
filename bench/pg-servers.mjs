// The servers on PostgreSQL: one throw-away cluster for the whole run (the tests' own
// test/support/pg-cluster.ts, as the build emits it), stopped by its PID at the end, and a new
// database in it for each server: greyward with one filter, with two filters sharing the database,
// with 1M triplets seeded, and sqlgrey. The cluster runs as the tests run it (fsync off): the
// servers are compared on the work a request costs, not on this machine's disk flushes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { processTree } from './disk-io.mjs';
import { startGreyward, startSqlgrey } from './peers.mjs';
import { openPolicyConnection } from './policy-load.mjs';
import { passedSeededRequests, seedPgTriplets, seedShape } from './pg-seed.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const CLUSTER_MODULE = path.resolve(BENCH_DIR, '..', 'out', 'test-typecheck', 'test', 'support', 'pg-cluster.js');

let cluster;

function parentPid(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The run's cluster, started on first use. */
async function benchCluster() {
  if (cluster) return cluster;
  if (!fs.existsSync(CLUSTER_MODULE)) throw new Error(`${path.relative(process.cwd(), CLUSTER_MODULE)} is missing; build first (npx tsc -b)`);
  const { postgresAvailability, startPgCluster } = await import(pathToFileURL(CLUSTER_MODULE).href);
  const available = postgresAvailability();
  if (!available.ok) throw new Error(`missing ${available.why}`);
  const started = Date.now();
  const pg = await startPgCluster();
  const admin = postgres(`postgres://greyward@127.0.0.1:${pg.port}/postgres`, { max: 1, onnotice: () => undefined });
  const [{ pid }] = await admin`SELECT pg_backend_pid() AS pid`;
  cluster = { pg, admin, port: pg.port, postmaster: parentPid(pid) };
  console.log(`  PostgreSQL cluster on 127.0.0.1:${pg.port}, postmaster pid ${cluster.postmaster} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return cluster;
}

/** Stops the run's cluster by its PID and deletes it. */
export async function stopBenchCluster() {
  if (!cluster) return;
  const { admin, pg } = cluster;
  cluster = undefined;
  await admin.end({ timeout: 1 }).catch(() => undefined);
  await pg.destroy();
}

/** CPU seconds the cluster has used: every process of it, with what its ended backends used. */
function clusterCpuSeconds() {
  if (!cluster) return null;
  let ticks = 0;
  for (const pid of processTree(cluster.postmaster)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + (pid === cluster.postmaster ? Number(fields[13]) + Number(fields[14]) : 0);
    } catch {
      // Ended meanwhile.
    }
  }
  return ticks / 100;
}

/** A new database in the cluster, dropped again when `stop` is. */
async function withDatabase(startOn) {
  const c = await benchCluster();
  const url = await c.pg.createDatabase();
  const name = new URL(url).pathname.slice(1);
  const drop = () => c.admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  let server;
  try {
    server = await startOn(url, name, c);
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    ...server,
    dbCpuSeconds: clusterCpuSeconds,
    ...(server.name.startsWith('greyward') ? { storeOutages: outageCounter(server.logFiles ?? [server.logFile]) } : {}),
    stop: async () => (await server.stop(), await drop()),
  };
}

/**
 * Counts, in the filters' logs since the last call, how often a filter found the database
 * unreachable (a lookup over 100 ms counts as that) and how many requests it answered per failMode
 * meanwhile, unrecorded: an all-new load's "DUNNO" answers.
 */
function outageCounter(logFiles) {
  const offsets = logFiles.map(() => 0);
  return () => {
    let outages = 0;
    let answered = 0;
    logFiles.forEach((file, k) => {
      let text;
      try {
        const fd = fs.openSync(file, 'r');
        const size = fs.fstatSync(fd).size;
        const buffer = Buffer.alloc(size - offsets[k]);
        fs.readSync(fd, buffer, 0, buffer.length, offsets[k]);
        fs.closeSync(fd);
        offsets[k] = size;
        text = buffer.toString('utf8');
      } catch {
        return;
      }
      for (const line of text.split('\n')) {
        if (/cannot be reached.*without greylisting/.test(line)) outages++;
        const resumed = /greylisting resumes \((\d+) requests were answered/.exec(line);
        if (resumed) answered += Number(resumed[1]);
      }
    });
    return { outages, answered };
  };
}

/** Two filters on one database, asked alternately connection by connection, measured as one server. */
async function startTwoFilters(url) {
  const a = await startGreyward({ delay: '1s', dbPath: url });
  let b;
  try {
    b = await startGreyward({ dbPath: url });
  } catch (error) {
    await a.stop();
    throw error;
  }
  return {
    name: 'greyward x2',
    port: a.port,
    ports: [a.port, b.port],
    pid: a.pid,
    pids: [a.pid, b.pid],
    logFiles: [a.logFile, b.logFile],
    note: [a.note, `two filters, pids ${a.pid} and ${b.pid}, ports ${a.port} and ${b.port}; connections alternate between them`].filter(Boolean).join('; '),
    stop: async () => (await a.stop(), await b.stop()),
  };
}

/** Asks the filter about seeded triplets that passed: any deferred means its lookup missed them. */
async function probeSeeded(port, shape) {
  const requests = passedSeededRequests(shape);
  const conn = await openPolicyConnection('127.0.0.1', port);
  const actions = {};
  try {
    for (const request of requests) {
      const action = await conn.ask(request);
      actions[action] = (actions[action] ?? 0) + 1;
    }
  } finally {
    conn.close();
  }
  const deferred = Object.entries(actions).filter(([action]) => /DEFER|^4\d\d/.test(action)).reduce((n, [, c]) => n + c, 0);
  return { asked: requests.length, deferred, actions };
}

/** The first line of a log file matching `pattern`, once there; undefined after `timeoutMs`. */
async function waitForLogLine(file, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = pattern.exec(fs.readFileSync(file, 'utf8'))?.[0];
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

export function pgServers({ bigDbCount }) {
  return {
    // sqlgrey's delay is in minutes; 0 lets a retry pass from the next second on.
    'sqlgrey-pg': {
      start: () =>
        withDatabase((url, name, c) =>
          startSqlgrey({
            reconnectDelayMinutes: 0,
            extraConfig: { db_type: 'Pg', db_host: '127.0.0.1', db_port: c.port, db_name: name, db_user: 'greyward', db_pass: '' },
          }),
        ),
    },
    'greyward-pg': { start: () => withDatabase((url) => startGreyward({ delay: '1s', dbPath: url })) },
    'greyward-pg-2': { start: () => withDatabase((url) => startTwoFilters(url)) },
    'greyward-pg-1m': {
      start: () =>
        withDatabase(async (url) => {
          const seeded = await seedPgTriplets(url, bigDbCount);
          console.log(`  seeded ${bigDbCount} triplets in ${seeded.seconds.toFixed(1)} s`);
          const server = await startGreyward({ delay: '1s', dbPath: url });
          // Measured once the filter has read the stored keys: the steady state, not its start.
          const warm = await waitForLogLine(server.logFile, /first contacts are answered from memory: .*/, 300_000);
          console.log(`  ${warm ?? 'the filter did not say its keys were read within 300 s'}`);
          const probe = await probeSeeded(server.port, seedShape(bigDbCount)).catch(async (error) => {
            await server.stop();
            throw error;
          });
          console.log(`  the filter asked about ${probe.asked} seeded passed triplets: ${JSON.stringify(probe.actions)}`);
          const note = probe.deferred > 0 ? `${probe.deferred}/${probe.asked} seeded passed triplets deferred: the filter did not find them` : undefined;
          return { ...server, note: [server.note, note].filter(Boolean).join('; ') || undefined };
        }),
    },
  };
}
