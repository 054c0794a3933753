// Benchmark driver: runs scenarios new / known / mix at several connection
// counts against each policy server, prints a table and writes
// bench/results/latest.json.
//
// Environment:
//   BENCH_SECONDS      seconds per run (default 5)
//   BENCH_SERVERS      comma list of noop,postgrey,sqlgrey,greyward,greyward-1m
//   BENCH_SCENARIOS    comma list of new,known,mix
//   BENCH_CONNECTIONS  comma list of connection counts (default 1,8,32)
//   BENCH_KNOWN        size of the primed "known" triplet set (default 5000)
//   BENCH_BIG_DB       triplet count for greyward-1m (default 1000000)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeKnownTriplets, primeTriplets, runLoad } from './policy-load.mjs';
import { cpuSeconds, makeTempDir, rssMiB, startGreyward, startNoop, startPostgrey, startSqlgrey } from './peers.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const list = (value, fallback) => (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const serverNames = list(process.env.BENCH_SERVERS, 'noop,postgrey,sqlgrey,greyward,greyward-1m');
const scenarios = list(process.env.BENCH_SCENARIOS, 'new,known,mix');
const connectionCounts = list(process.env.BENCH_CONNECTIONS, '1,8,32').map(Number);
const knownCount = Number(process.env.BENCH_KNOWN ?? 5000);
const bigDbCount = Number(process.env.BENCH_BIG_DB ?? 1_000_000);

/**
 * Hook for the large-database variant: fills a greyward database at `dbPath`
 * with `count` triplets using bench/seed-triplets.mjs. Returns false (with a
 * reason) when that script does not exist yet.
 */
export function prepareGreywardDb(dbPath, count) {
  const seeder = path.join(BENCH_DIR, 'seed-triplets.mjs');
  if (!fs.existsSync(seeder)) return { ok: false, reason: `${path.relative(process.cwd(), seeder)} does not exist yet` };
  execFileSync(process.execPath, [seeder, dbPath, String(count)], {
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
      const prepared = prepareGreywardDb(dbPath, bigDbCount);
      if (!prepared.ok) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`greyward-1m skipped: ${prepared.reason}`);
      }
      console.log(`  seeded ${bigDbCount} triplets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      try {
        const server = await startGreyward({ delay: '1s', dbPath });
        return { ...server, stop: async () => (await server.stop(), fs.rmSync(dir, { recursive: true, force: true })) };
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (x, digits = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
// CPU µs per request: the server's (all its threads) and this load generator's, which shares the machine.
const COLUMNS = ['server', 'scenario', 'conns', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'RSS MiB', 'srv µs/r', 'main µs/r', 'gen µs/r'];
const WIDTHS = [12, 8, 5, 8, 8, 8, 8, 8, 8, 8, 9, 8];

function formatRow(cells) {
  return cells.map((cell, i) => (i < 2 ? String(cell).padEnd(WIDTHS[i]) : String(cell).padStart(WIDTHS[i]))).join('  ');
}

function rowCells(r) {
  return [
    r.server, r.scenario, r.connections, r.throughput, fmt(r.p50, 3), fmt(r.p95, 3), fmt(r.p99, 3), fmt(r.max), fmt(r.rssMiB, 1),
    fmt(r.serverCpuUsPerRequest, 1), fmt(r.mainThreadCpuUsPerRequest, 1), fmt(r.generatorCpuUsPerRequest, 1),
  ];
}

let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await current?.stop().catch(() => {});
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
  console.log(`  pid ${server.pid}, port ${server.port}, RSS at start ${fmt(rssMiB(server.pid), 1)} MiB`);
  try {
    const known = makeKnownTriplets(knownCount);
    if (scenarios.some((s) => s !== 'new')) {
      const target = { host: '127.0.0.1', port: server.port, triplets: known };
      const first = await primeTriplets(target);
      await sleep(1500);
      const second = await primeTriplets(target);
      console.log(`  primed ${known.length} triplets: first pass ${JSON.stringify(first)}, second ${JSON.stringify(second)}`);
      const deferred = Object.entries(second).filter(([a]) => /DEFER|^4\d\d/.test(a)).reduce((n, [, c]) => n + c, 0);
      if (deferred > 0) serverNotes.push(`${deferred}/${known.length} known triplets still deferred after priming`);
    }
    let seed = 1;
    for (const scenario of scenarios) {
      for (const connections of connectionCounts) {
        const serverCpu = cpuSeconds(server.pid);
        // The server's main thread: Greyward's answering thread, all of postgrey and sqlgrey.
        const mainCpu = cpuSeconds(server.pid, server.pid);
        const generatorCpu = process.cpuUsage();
        const load = await runLoad({
          host: '127.0.0.1',
          port: server.port,
          connections,
          durationMs: seconds * 1000,
          scenario,
          knownTriplets: known,
          seed: seed++,
        });
        const generatorUsed = process.cpuUsage(generatorCpu);
        const serverUsed = serverCpu == null ? null : cpuSeconds(server.pid) - serverCpu;
        const mainUsed = mainCpu == null ? null : cpuSeconds(server.pid, server.pid) - mainCpu;
        const row = {
          server: name,
          scenario,
          connections,
          ...load,
          rssMiB: rssMiB(server.pid),
          serverCpuUsPerRequest: serverUsed == null || !load.requests ? null : (serverUsed * 1e6) / load.requests,
          mainThreadCpuUsPerRequest: mainUsed == null || !load.requests ? null : (mainUsed * 1e6) / load.requests,
          generatorCpuUsPerRequest: load.requests ? (generatorUsed.user + generatorUsed.system) / load.requests : null,
        };
        results.push(row);
        console.log(formatRow(rowCells(row)) + `   ${JSON.stringify(load.actions)}${load.errors ? ` errors: ${load.errors.join('; ')}` : ''}`);
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
console.log(
  `policy bench: ${seconds}s per run, servers ${serverNames.join(',')}, scenarios ${scenarios.join(',')}, ` +
    `connections ${connectionCounts.join(',')}, known set ${knownCount}; node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log(formatRow(COLUMNS));
for (const name of serverNames) await benchServer(name, results, skipped, notes);

console.log('\n' + formatRow(COLUMNS));
for (const r of results) console.log(formatRow(rowCells(r)));
for (const s of skipped) console.log(`skipped ${s.server}: ${s.reason.split('\n')[0]}`);

// The figures the project reports: greyward at 8 connections against postgrey
// and the no-op ceiling, on an empty and on the big database. Printed as
// measured, met or not.
const SUMMARY_CONNECTIONS = 8;
const TARGETS = { vsPostgrey: 10, vsNoop: 0.5, p99Ms: 2, rssMiB: 150, flat: 0.9 };
const summary = [];
{
  const find = (server, scenario) => results.find((r) => r.server === server && r.scenario === scenario && r.connections === SUMMARY_CONNECTIONS);
  const verdict = (ok) => (ok == null ? '[n/a]' : ok ? '[met]' : '[NOT met]');
  const ratio = (a, b) => (a && b ? a.throughput / b.throughput : null);
  const deferShare = (r) => {
    const total = Object.values(r.actions).reduce((n, c) => n + c, 0);
    const deferred = Object.entries(r.actions).filter(([a]) => /DEFER|^4\d\d/.test(a)).reduce((n, [, c]) => n + c, 0);
    return total ? deferred / total : null;
  };
  console.log(
    `\nsummary at ${SUMMARY_CONNECTIONS} connections; targets: >= ${TARGETS.vsPostgrey}x postgrey's throughput, ` +
      `>= ${TARGETS.vsNoop}x the no-op server's, p99 < ${TARGETS.p99Ms} ms, RSS < ${TARGETS.rssMiB} MiB, ` +
      `flat from empty to ${bigDbCount} triplets (read here as 1M throughput >= ${TARGETS.flat}x empty's)`,
  );
  for (const [server, label] of [['greyward', 'empty db'], ['greyward-1m', `${bigDbCount} db`]]) {
    for (const scenario of scenarios) {
      const row = find(server, scenario);
      const postgrey = find('postgrey', scenario);
      const noop = find('noop', scenario);
      if (!row) {
        console.log(`  ${label.padEnd(12)} ${scenario.padEnd(6)} no result`);
        summary.push({ server, scenario, connections: SUMMARY_CONNECTIONS, missing: true });
        continue;
      }
      const vsPostgrey = ratio(row, postgrey);
      const vsNoop = ratio(row, noop);
      const share = deferShare(row);
      const item = {
        server,
        scenario,
        connections: SUMMARY_CONNECTIONS,
        throughput: row.throughput,
        vsPostgrey,
        vsNoop,
        p99: row.p99,
        rssMiB: row.rssMiB,
        deferShare: share,
        met: {
          vsPostgrey: vsPostgrey == null ? null : vsPostgrey >= TARGETS.vsPostgrey,
          vsNoop: vsNoop == null ? null : vsNoop >= TARGETS.vsNoop,
          p99: row.p99 < TARGETS.p99Ms,
          rss: row.rssMiB == null ? null : row.rssMiB < TARGETS.rssMiB,
        },
      };
      summary.push(item);
      console.log(
        `  ${label.padEnd(12)} ${scenario.padEnd(6)} ${String(row.throughput).padStart(6)} req/s = ` +
          `${vsPostgrey == null ? '-' : fmt(vsPostgrey, 1)}x postgrey ${verdict(item.met.vsPostgrey)}, ` +
          `${vsNoop == null ? '-' : fmt(vsNoop, 2)}x noop ${verdict(item.met.vsNoop)}, ` +
          `p99 ${fmt(row.p99, 3)} ms ${verdict(item.met.p99)}, ` +
          `RSS ${fmt(row.rssMiB, 1)} MiB ${verdict(item.met.rss)}; ` +
          `answers deferred ${share == null ? '-' : (share * 100).toFixed(1)}%`,
      );
    }
  }
  for (const scenario of scenarios) {
    const empty = find('greyward', scenario);
    const big = find('greyward-1m', scenario);
    const flat = ratio(big, empty);
    summary.push({ flat: true, scenario, connections: SUMMARY_CONNECTIONS, throughputRatio: flat, p99Empty: empty?.p99, p99Big: big?.p99 });
    console.log(
      `  flat         ${scenario.padEnd(6)} ${bigDbCount} db / empty db throughput ${flat == null ? '-' : fmt(flat, 2)}x ` +
        `${verdict(flat == null ? null : flat >= TARGETS.flat)}, p99 ${fmt(empty?.p99, 3)} -> ${fmt(big?.p99, 3)} ms`,
    );
  }
}

const resultsDir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const report = {
  startedAt,
  finishedAt: new Date().toISOString(),
  node: process.version,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMiB: Math.round(os.totalmem() / 2 ** 20) },
  settings: { seconds, servers: serverNames, scenarios, connections: connectionCounts, knownCount, bigDbCount },
  results,
  summary,
  skipped,
  notes,
};
const out = path.join(resultsDir, 'latest.json');
fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
