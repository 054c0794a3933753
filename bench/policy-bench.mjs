// Benchmark driver: runs scenarios new / known / mix at several connection
// counts against each policy server, prints a table, a summary against the
// targets and writes bench/results/latest.json. Per run it reads, besides the
// answers' latencies, the server's peak resident memory and the bytes it wrote
// to disk (/proc/PID/io write_bytes, WAL and checkpoints included) per decision.
//
// Environment:
//   BENCH_SECONDS      seconds per run (default 5)
//   BENCH_SERVERS      comma list of noop,postgrey,sqlgrey,greyward,greyward-1m and, on a throw-away
//                      PostgreSQL cluster, sqlgrey-pg,greyward-pg,greyward-pg-2 (two filters on one
//                      database),greyward-pg-1m
//   BENCH_SCENARIOS    comma list of new,known,mix
//   BENCH_CONNECTIONS  comma list of connection counts (default 1,8,32)
//   BENCH_KNOWN        size of the primed "known" triplet set (default 5000)
//   BENCH_BIG_DB       triplet count for greyward-1m and greyward-pg-1m (default 1000000)
//   BENCH_BIG_ATTEMPTS attempt count for greyward-1m (default 3 per triplet)
//   BENCH_SEEDED_DB    a database seeded already (bench/seed-triplets.mjs) to copy for greyward-1m
//   BENCH_DATA_DIR     where the servers' databases go (default: a temporary directory on a disk)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeKnownTriplets, primeTriplets, runLoad } from './policy-load.mjs';
import { cpuSeconds, makeTempDir, rssMiB, startGreyward, startNoop, startPostgrey, startSqlgrey } from './peers.mjs';
import { printSummary } from './bench-summary.mjs';
import { pgServers, stopBenchCluster } from './pg-servers.mjs';
import { describeSize, measureDatabase } from './db-size.mjs';
import { benchDataRoot, probeWriteAccounting, processTree, treeWriteBytes } from './disk-io.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const list = (value, fallback) => (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const serverNames = list(process.env.BENCH_SERVERS, 'noop,postgrey,sqlgrey,greyward,greyward-1m,sqlgrey-pg,greyward-pg,greyward-pg-2,greyward-pg-1m');
const scenarios = list(process.env.BENCH_SCENARIOS, 'new,known,mix');
const connectionCounts = list(process.env.BENCH_CONNECTIONS, '1,8,32').map(Number);
const knownCount = Number(process.env.BENCH_KNOWN ?? 5000);
const bigDbCount = Number(process.env.BENCH_BIG_DB ?? 1_000_000);
const bigDbAttempts = Number(process.env.BENCH_BIG_ATTEMPTS ?? 3 * bigDbCount);
const seededDb = process.env.BENCH_SEEDED_DB ? path.resolve(process.env.BENCH_SEEDED_DB) : undefined;

/**
 * Hook for the large-database variant: fills a greyward database at `dbPath`
 * with `count` triplets using bench/seed-triplets.mjs. Returns false (with a
 * reason) when that script does not exist yet.
 */
export function prepareGreywardDb(dbPath, count, attempts) {
  const seeder = path.join(BENCH_DIR, 'seed-triplets.mjs');
  if (!fs.existsSync(seeder)) return { ok: false, reason: `${path.relative(process.cwd(), seeder)} does not exist yet` };
  execFileSync(process.execPath, [seeder, dbPath, String(count), '--attempts', String(attempts)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: path.resolve(BENCH_DIR, '..'),
  });
  return { ok: true };
}

// Each server is started with a short greylisting delay so that priming twice
// makes the "known" triplets passed ones; "new" triplets are greylisted
// whatever the delay.
const SERVERS = {
  noop: { start: () => startNoop() },
  postgrey: { start: () => startPostgrey({ delaySeconds: 1 }) },
  // sqlgrey's delay is in minutes; 0 lets a retry pass from the next second on.
  sqlgrey: { start: () => startSqlgrey({ reconnectDelayMinutes: 0 }) },
  greyward: { start: () => startGreyward({ delay: '1s' }) },
  'greyward-1m': {
    async start() {
      const dir = makeTempDir('greyward-db');
      const dbPath = path.join(dir, 'greyward.db');
      const started = Date.now();
      if (seededDb) {
        fs.copyFileSync(seededDb, dbPath);
        console.log(`  copied ${seededDb} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } else {
        const prepared = prepareGreywardDb(dbPath, bigDbCount, bigDbAttempts);
        if (!prepared.ok) {
          fs.rmSync(dir, { recursive: true, force: true });
          throw new Error(`greyward-1m skipped: ${prepared.reason}`);
        }
        console.log(`  seeded ${bigDbCount} triplets, ${bigDbAttempts} attempts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      try {
        const { openDatabase } = await import('../out/main/store/database.js');
        const db = openDatabase(dbPath, { readonly: true });
        sizeReport = measureDatabase(db);
        db.close();
        const server = await startGreyward({ delay: '1s', dbPath });
        return { ...server, stop: async () => (await server.stop(), fs.rmSync(dir, { recursive: true, force: true })) };
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
  },
  ...pgServers({ bigDbCount }),
};

function threadCount(pid) {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) || null;
  } catch {
    return null;
  }
}

/** The big database as seeded, before the filter ran on it. */
let sizeReport = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (x, digits = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
// CPU µs per request: the server's (all its threads) and this load generator's, which shares the machine.
// RSS: the highest sampled during the run. KiB/dec: bytes the server wrote to disk per decision answered.
// A server of several processes (greyward-pg-2) counts them all. db µs/r: the PostgreSQL cluster's CPU per request.
const COLUMNS = ['server', 'scenario', 'conns', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'RSS MiB', 'KiB/dec', 'srv µs/r', 'main µs/r', 'gen µs/r', 'db µs/r'];
const WIDTHS = [14, 8, 5, 8, 8, 8, 8, 8, 8, 8, 8, 9, 8, 8];

function formatRow(cells) {
  return cells.map((cell, i) => (i < 2 ? String(cell).padEnd(WIDTHS[i]) : String(cell).padStart(WIDTHS[i]))).join('  ');
}

function rowCells(r) {
  return [
    r.server, r.scenario, r.connections, r.throughput, fmt(r.p50, 3), fmt(r.p95, 3), fmt(r.p99, 3), fmt(r.max), fmt(r.peakRssMiB, 1),
    writeAccounting.counted ? fmt(r.writeKiBPerDecision, 2) : 'n/a',
    fmt(r.serverCpuUsPerRequest, 1), fmt(r.mainThreadCpuUsPerRequest, 1), fmt(r.generatorCpuUsPerRequest, 1), fmt(r.dbCpuUsPerRequest, 1),
  ];
}

let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await current?.stop().catch(() => {});
    await stopBenchCluster().catch(() => {});
    process.exit(130);
  });
}

async function benchServer(name, results, skipped, notes) {
  const entry = SERVERS[name];
  if (!entry) {
    skipped.push({ server: name, reason: 'unknown server name' });
    console.log(`! ${name}: unknown server name (known: ${Object.keys(SERVERS).join(', ')})`);
    return;
  }
  console.log(`\n== ${name}`);
  let server;
  try {
    server = await entry.start();
  } catch (err) {
    skipped.push({ server: name, reason: err.message });
    console.log(`! skipping ${name}: ${err.message}`);
    return;
  }
  current = server;
  const serverNotes = [];
  if (server.note) serverNotes.push(server.note);
  // Disk writes and memory are read for this process (all its threads) and any it forks.
  const pids = server.pids ?? [server.pid];
  const ports = server.ports ?? [server.port];
  const sum = (read) => {
    const values = pids.map(read);
    return values.includes(null) ? null : values.reduce((a, b) => a + b, 0);
  };
  const tree = processTree(server.pid);
  console.log(
    `  pid ${pids.join(' ')} (${threadCount(server.pid) ?? '?'} threads${tree.length > 1 ? `, children ${tree.slice(1).join(' ')}` : ''}), ` +
      `port ${ports.join(' ')}, RSS at start ${fmt(sum(rssMiB), 1)} MiB`,
  );
  try {
    const known = makeKnownTriplets(knownCount);
    if (scenarios.some((s) => s !== 'new')) {
      // With two filters, deferred at one and passed at the other, as a sender retrying at the next MX.
      const first = await primeTriplets({ host: '127.0.0.1', port: ports[0], triplets: known });
      await sleep(1500);
      const second = await primeTriplets({ host: '127.0.0.1', port: ports.at(-1), triplets: known });
      console.log(`  primed ${known.length} triplets: first pass ${JSON.stringify(first)}, second ${JSON.stringify(second)}`);
      const deferred = Object.entries(second).filter(([a]) => /DEFER|^4\d\d/.test(a)).reduce((n, [, c]) => n + c, 0);
      if (deferred > 0) serverNotes.push(`${deferred}/${known.length} known triplets still deferred after priming`);
    }
    const primingOutages = server.storeOutages?.();
    if (primingOutages?.outages) serverNotes.push(`while priming: database unreachable ${primingOutages.outages}x, ${primingOutages.answered} requests answered per failMode`);
    let seed = 1;
    for (const scenario of scenarios) {
      for (const connections of connectionCounts) {
        const serverCpu = sum((pid) => cpuSeconds(pid));
        // The server's main thread: Greyward's answering thread, all of postgrey and sqlgrey.
        const mainCpu = sum((pid) => cpuSeconds(pid, pid));
        const dbCpu = server.dbCpuSeconds?.() ?? null;
        const generatorCpu = process.cpuUsage();
        const writtenBefore = sum(treeWriteBytes);
        let peakRss = sum(rssMiB);
        const rssSampler = setInterval(() => (peakRss = Math.max(peakRss ?? 0, sum(rssMiB) ?? 0)), 250);
        const load = await runLoad({
          host: '127.0.0.1',
          ports,
          connections,
          durationMs: seconds * 1000,
          scenario,
          knownTriplets: known,
          seed: seed++,
        });
        clearInterval(rssSampler);
        const generatorUsed = process.cpuUsage(generatorCpu);
        // What the last answers left to write: a batch written behind, a checkpoint under way.
        await sleep(500);
        const written = writtenBefore === null ? null : sum(treeWriteBytes) - writtenBefore;
        const serverUsed = serverCpu == null ? null : sum((pid) => cpuSeconds(pid)) - serverCpu;
        const mainUsed = mainCpu == null ? null : sum((pid) => cpuSeconds(pid, pid)) - mainCpu;
        const dbUsed = dbCpu == null ? null : server.dbCpuSeconds() - dbCpu;
        const outages = server.storeOutages?.();
        const row = {
          server: name,
          scenario,
          connections,
          ...load,
          rssMiB: sum(rssMiB),
          peakRssMiB: Math.max(peakRss ?? 0, sum(rssMiB) ?? 0) || null,
          writtenBytes: written,
          writeKiBPerDecision: written == null || !load.requests ? null : written / 1024 / load.requests,
          serverCpuUsPerRequest: serverUsed == null || !load.requests ? null : (serverUsed * 1e6) / load.requests,
          mainThreadCpuUsPerRequest: mainUsed == null || !load.requests ? null : (mainUsed * 1e6) / load.requests,
          generatorCpuUsPerRequest: load.requests ? (generatorUsed.user + generatorUsed.system) / load.requests : null,
          dbCpuUsPerRequest: dbUsed == null || !load.requests ? null : (dbUsed * 1e6) / load.requests,
          ...(outages ? { storeOutages: outages.outages, answeredWithoutStore: outages.answered } : {}),
        };
        results.push(row);
        const unreachable = outages?.outages ? ` database unreachable ${outages.outages}x, ${outages.answered} answered per failMode` : '';
        console.log(formatRow(rowCells(row)) + `   ${JSON.stringify(load.actions)}${unreachable}${load.errors ? ` errors: ${load.errors.join('; ')}` : ''}`);
        if (unreachable) serverNotes.push(`${scenario}/${connections}:${unreachable} (lookups over 100 ms count as unreachable)`);
        await sleep(200);
      }
    }
  } catch (err) {
    serverNotes.push(`aborted: ${err.message}`);
    console.log(`! ${name} aborted: ${err.message}`);
  } finally {
    await server.stop();
    current = null;
  }
  for (const note of serverNotes) console.log(`  note: ${note}`);
  if (serverNotes.length) notes[name] = serverNotes;
}

const results = [];
const skipped = [];
const notes = {};
const startedAt = new Date().toISOString();
const dataRoot = benchDataRoot();
const writeAccounting = probeWriteAccounting(dataRoot);
console.log(
  `policy bench: ${seconds}s per run, servers ${serverNames.join(',')}, scenarios ${scenarios.join(',')}, ` +
    `connections ${connectionCounts.join(',')}, known set ${knownCount}; node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log(`databases under ${dataRoot}: ${writeAccounting.note}`);
console.log(formatRow(COLUMNS));
for (const name of serverNames) await benchServer(name, results, skipped, notes);
await stopBenchCluster();

console.log('\n' + formatRow(COLUMNS));
for (const r of results) console.log(formatRow(rowCells(r)));
for (const s of skipped) console.log(`skipped ${s.server}: ${s.reason.split('\n')[0]}`);

const summary = printSummary({ results, scenarios, bigDbCount, writesCounted: writeAccounting.counted });
if (sizeReport) {
  console.log('');
  for (const line of describeSize(sizeReport, 'greyward-1m database as seeded')) console.log(line);
}

const resultsDir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  node: process.version,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMiB: Math.round(os.totalmem() / 2 ** 20) },
  settings: { seconds, servers: serverNames, scenarios, connections: connectionCounts, knownCount, bigDbCount, bigDbAttempts, dataRoot },
  writeAccounting,
  results,
  summary,
  bigDatabase: sizeReport,
  skipped,
  notes,
};
const out = path.join(resultsDir, 'latest.json');
fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
