// Times the impact preview (a replay of the attempt log under the current and a proposed
// setting: timing, client grouping, auto-allow, mode) over about a million recorded attempts,
// and the other insight reads beside it.
//
//   node bench/impact-bench.mjs [PATH] [TRIPLETS]        (BENCH_RUNS=5 runs of each, BENCH_DAYS=n: the last
// n days, BENCH_ONLY=impact: no other reads)
//
// PATH: a database to read; if it does not exist, it is seeded first with
// bench/seed-triplets.mjs (TRIPLETS triplets, default 333,333: about 1,000,000 attempts).
// Without PATH a temporary database is seeded and removed afterwards.
// Run `npx tsc -b` first: the code measured is the built one in out/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = path.resolve(BENCH_DIR, '..', 'out');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function importBuilt(relative) {
  const file = path.join(OUT_DIR, relative);
  if (!fs.existsSync(file)) {
    console.error(`impact-bench: ${path.relative(process.cwd(), file)} is missing; build Greyward first (npx tsc -b)`);
    process.exit(2);
  }
  return import(pathToFileURL(file).href);
}

const [pathArg, countArg = '333333'] = process.argv.slice(2);
const temporary = pathArg ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'greyward-impact-'));
const dbPath = pathArg ?? path.join(temporary, 'greyward.db');
if (!fs.existsSync(dbPath)) {
  console.log(`impact-bench: seeding ${dbPath} with ${countArg} triplets`);
  const seeded = spawnSync(process.execPath, [path.join(BENCH_DIR, 'seed-triplets.mjs'), dbPath, countArg], { stdio: 'inherit' });
  if (seeded.status !== 0) process.exit(seeded.status ?? 1);
}

const { openDatabase } = await importBuilt('main/store/database.js');
const { SqliteStore } = await importBuilt('main/store/sqlite-store.js');
const { InsightQueries } = await importBuilt('main/store/insight-queries.js');
const { inlineInsightReads } = await importBuilt('main/insight/insight-reads.js');
const { retryHistogram } = await importBuilt('main/insight/retry-histogram.js');
const { findSuspects } = await importBuilt('main/insight/suspects.js');

const store = new SqliteStore(openDatabase(dbPath, { readonly: true }));
const queries = new InsightQueries(store.db);
const { settings } = await store.readPolicy();
const attempts = store.db.prepare('SELECT count(*) FROM attempts').pluck().get();
// BENCH_DAYS: replay only the last days of the log (the preview's `days`), up to its last attempt.
const days = process.env.BENCH_DAYS ? Number(process.env.BENCH_DAYS) : undefined;
const lastAt = store.db.prepare('SELECT at FROM attempts ORDER BY id DESC LIMIT 1').pluck().get() ?? 0;
const now = Math.max(Math.floor(Date.now() / 1000), lastAt + 1);
const reads = inlineInsightReads(store);
const current = settings;

// Wall time, and the CPU time of this process beside it: on a shared machine the wall time
// includes waiting for a core, the CPU time does not.
async function timed(work) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000, result };
}
function summary(times, cpuTimes) {
  const sorted = [...times].sort((a, b) => a - b);
  const cpu = cpuTimes ? `; CPU median ${[...cpuTimes].sort((a, b) => a - b)[cpuTimes.length >> 1].toFixed(0)} ms` : '';
  return `first ${times[0].toFixed(0)} ms, median ${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms over ${times.length} runs${cpu}`;
}
/**
 * The replay as the insight handler runs it: the first run of all reads the log, the others only
 * what the filter wrote since (nothing, here); a grey list that a side greylists by is read each time.
 */
const replay = (proposal) => reads.impact({ settings: proposal, ...(days === undefined ? {} : { days }), now });
const seconds = (s) => (s === null ? '-' : s < 120 ? `${s} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);
const describe = (o) =>
  `delay ${o.settings.delay} s, window ${o.settings.retryWindow / 3600} h, /${o.settings.clientPrefixV4} /${o.settings.clientPrefixV6}, ` +
  `auto-allow ${o.settings.autoAllowAfter} by ${o.settings.autoAllowBy}, ${o.settings.mode}: delayed ${o.delayed}, at once ${o.passedAtOnce}, ` +
  `added p50 ${seconds(o.addedDelayP50)} p95 ${seconds(o.addedDelayP95)}, lost ${o.lost}, never retried ${o.neverRetried}, pending ${o.pending}`;

console.log(`impact-bench: ${dbPath}: ${attempts} attempts; Node ${process.version}`);
const cold = await timed(() => replay({}));
console.log(`\nfirst preview, reading ${cold.result.attempts} attempts of the log: ${cold.ms.toFixed(0)} ms; CPU ${cold.cpuMs.toFixed(0)} ms`);
const PROPOSALS = [
  { delay: 60 },
  { delay: 1800, retryWindow: 86_400 },
  { clientPrefixV4: 16, clientPrefixV6: 48 },
  { autoAllowAfter: 3, autoAllowBy: 'network' },
  { autoAllowAfter: 0 },
  { mode: 'grey-list-only' },
];
for (const proposal of PROPOSALS) {
  const times = [];
  const cpuTimes = [];
  let report;
  for (let run = 0; run < RUNS; run++) {
    const { ms, cpuMs, result } = await timed(() => replay(proposal));
    times.push(ms);
    cpuTimes.push(cpuMs);
    report = result;
  }
  console.log(`\nimpact replay of ${JSON.stringify(proposal)} over ${report.attempts} attempts (${report.mails} mails): ${summary(times, cpuTimes)}`);
  console.log(`  current:  ${describe(report.current)}`);
  console.log(`  proposed: ${describe(report.proposed)}`);
}

// BENCH_ONLY=impact: the replays alone.
if (process.env.BENCH_ONLY !== 'impact') {
  const histogramTimes = [];
  for (let run = 0; run < RUNS; run++) histogramTimes.push((await timed(() => retryHistogram(queries.scanAttempts(), current.delay, null))).ms);
  console.log(`\nretry histogram, all senders: ${summary(histogramTimes)}`);

  const suspectTimes = [];
  let shown = [];
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    shown = await findSuspects({ db: store.db, store }, now, { limit: 1000 });
    suspectTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const waiting = store.db.prepare('SELECT count(*) FROM triplets WHERE passed_at IS NULL AND first_seen >= ?').pluck().get(now - settings.retryWindow - 86_400);
  console.log(`suspects (${waiting} waiting triplets classified, top ${shown.length} listed): ${summary(suspectTimes)}`);
}
console.log(`resident memory: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

await store.close();
if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
