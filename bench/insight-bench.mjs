// Insight and search on a big database: `greyward suspects --json` as an administrator runs it,
// the same list through the in-process API the screens use (inlineInsightReads), and the greylist
// and attempt searches (AdminQueries tripletPage and searchAttempts) for a rare and a common term
// taken from the data itself. Prints median and max times and peak memory beside the targets.
//
//   node bench/insight-bench.mjs
//
// Environment:
//   BENCH_SEEDED_DB      a database seeded already (bench/seed-triplets.mjs); else one is seeded
//                        with BENCH_BIG_DB triplets (default 1000000) and BENCH_BIG_ATTEMPTS
//                        attempts (default 3 per triplet) in a temporary directory
//   BENCH_INSIGHT_10M    1: also a database of BENCH_BIG_DB triplets and 10M attempts (seeded, or
//                        BENCH_SEEDED_DB_10M)
//   BENCH_REPEAT         timed calls of each in-process read (default 5); the CLI runs 3 times
//   BENCH_INSIGHT_TIMEOUT_S  a call still running after this is stopped and reported (default 180)
//
// Peak memory is VmHWM of the process that ran the call, polled from /proc/PID/status (the CLI)
// or read by the process itself (the in-process reads, which run in a child process of their own
// so that an out-of-memory crash is a result rather than the end of the benchmark).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeSize, measureDatabase } from './db-size.mjs';
import { benchDataRoot } from './disk-io.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const CLI = path.join(ROOT, 'bin', 'greyward.cjs');
const built = (relative) => import(pathToFileURL(path.join(ROOT, 'out', relative)).href);

export const TARGETS = { suspectsMs: 300, suspectsRssMiB: 200, searchMs: 100 };
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const TIMEOUT_MS = Number(process.env.BENCH_INSIGHT_TIMEOUT_S ?? 180) * 1000;
const PAGE = 100;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const ms = (x) => (x == null || Number.isNaN(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(0));
const verdict = (ok) => (ok ? 'ok' : 'MISS');

function statusKiB(pid, field) {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) || null;
  } catch {
    return null;
  }
}

/**
 * Runs a process to its end, polling its VmHWM every 20 ms, and stops it when it has said nothing
 * for the timeout (a call still running). Resolves with wall time, peak MiB, exit code or signal,
 * whether it was stopped, stdout's byte count, and stderr's last lines; `onLine` gets stdout's lines.
 */
function runMeasured(command, args, { lines = false, onLine } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKiB = 0;
    let outBytes = 0;
    let pending = '';
    let stderr = '';
    const poll = setInterval(() => (peakKiB = Math.max(peakKiB, statusKiB(child.pid, 'VmHWM') ?? 0)), 20);
    let timedOut = false;
    const stop = () => {
      timedOut = true;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(stop, TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      outBytes += chunk.length;
      if (lines) {
        clearTimeout(timer);
        timer = setTimeout(stop, TIMEOUT_MS);
      }
      if (!lines) return;
      pending += chunk.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine?.(pending.slice(0, nl), performance.now() - started);
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        wallMs: performance.now() - started,
        peakMiB: peakKiB / 1024 || null,
        code,
        signal,
        timedOut,
        outBytes,
        stderrTail: stderr.trim().split('\n').slice(-3).join(' | '),
      });
    });
  });
}

function seed(dbPath, triplets, attempts) {
  const started = Date.now();
  execFileSync(process.execPath, [path.join(BENCH_DIR, 'seed-triplets.mjs'), dbPath, String(triplets), '--attempts', String(attempts)], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  console.log(`  seeded ${triplets} triplets, ${attempts} attempts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function benchDatabase(label, dbPath) {
  console.log(`\n== ${label}: ${dbPath}`);
  const { openDatabase } = await built('main/store/database.js');
  const db = openDatabase(dbPath, { readonly: true });
  const size = measureDatabase(db);
  db.close();
  for (const line of describeSize(size, 'size')) console.log(`  ${line}`);

  // What any greyward command costs before it reads anything: Node starting and loading the CLI.
  const floor = await runMeasured(process.execPath, [CLI, '--version']);
  console.log(`  greyward --version (start-up floor): ${ms(floor.wallMs)} ms, peak ${floor.peakMiB?.toFixed(0) ?? '-'} MiB`);

  const cli = [];
  for (let run = 0; run < 3; run++) {
    const r = await runMeasured(process.execPath, [CLI, 'suspects', '--json', '--db', dbPath]);
    cli.push(r);
    const crashed = r.code !== 0;
    console.log(
      `  greyward suspects --json, run ${run + 1}: ` +
        (crashed
          ? `${r.timedOut ? `STOPPED at the ${TIMEOUT_MS / 1000} s timeout` : `CRASHED after ${(r.wallMs / 1000).toFixed(1)} s (${r.signal ?? `exit ${r.code}`})`}, ` +
            `peak ${r.peakMiB?.toFixed(0) ?? '-'} MiB: ${r.stderrTail}`
          : `${ms(r.wallMs)} ms [${verdict(r.wallMs < TARGETS.suspectsMs)} < ${TARGETS.suspectsMs}], ` +
            `peak RSS ${r.peakMiB?.toFixed(0) ?? '-'} MiB [${verdict(r.peakMiB < TARGETS.suspectsRssMiB)} < ${TARGETS.suspectsRssMiB}], ${(r.outBytes / 1024).toFixed(0)} KiB of JSON`),
    );
    if (crashed) break;
  }

  // The in-process reads, in a child of their own.
  const results = [];
  let current = null;
  const child = await runMeasured(process.execPath, [fileURLToPath(import.meta.url), '--inline', dbPath], {
    lines: true,
    onLine: (text, at) => {
      let event;
      try {
        event = JSON.parse(text);
      } catch {
        return;
      }
      if (event.start) current = { what: event.start, at };
      if (event.note) console.log(`  ${event.note}`);
      if (event.result) {
        current = null;
        results.push(event.result);
        printResult(event.result);
      }
    },
  });
  if (child.code !== 0) {
    const during = current ? `during ${current.what}, ${((child.wallMs - current.at) / 1000).toFixed(1)} s after it started` : 'between calls';
    const how = child.timedOut ? `STOPPED at the ${TIMEOUT_MS / 1000} s timeout` : `CRASHED (${child.signal ?? `exit ${child.code}`})`;
    console.log(`  in-process reads ${how} ${during}, peak ${child.peakMiB?.toFixed(0) ?? '-'} MiB: ${child.stderrTail}`);
  }
  return { label, dbPath, size, startupMs: floor.wallMs, cli, inline: results, inlineCrashed: child.code !== 0 };
}

function printResult(r) {
  const target = r.kind === 'suspects' ? TARGETS.suspectsMs : TARGETS.searchMs;
  const times = r.ms.length ? `median ${ms(median(r.ms))} ms, max ${ms(Math.max(...r.ms))} ms over ${r.ms.length} [${verdict(Math.max(...r.ms) < target)} < ${target}]` : '';
  const memory =
    r.kind === 'suspects' ? `, peak RSS ${r.peakMiB.toFixed(0)} MiB [${verdict(r.peakMiB < TARGETS.suspectsRssMiB)} < ${TARGETS.suspectsRssMiB}] (${r.rssBeforeMiB.toFixed(0)} MiB before)` : '';
  console.log(`  ${r.what.padEnd(46)} ${r.error ? `FAILED: ${r.error}` : `${times}${memory}; ${r.found}`}`);
}

// ---- the in-process reads (child mode) ----------------------------------------------
async function inline(dbPath) {
  const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
  const { openDatabase } = await built('main/store/database.js');
  const { SqliteStore } = await built('main/store/sqlite-store.js');
  const { AdminQueries } = await built('main/store/admin-queries.js');
  const { inlineInsightReads } = await built('main/insight/insight-reads.js');
  const { resolveSettings } = await built('shared/settings.js');
  const store = new SqliteStore(openDatabase(dbPath, { readonly: true }));
  const admin = new AdminQueries(store.db);
  const reads = inlineInsightReads(store);
  const { settings } = resolveSettings(await store.storedSettings());
  const now = Math.floor(Date.now() / 1000);
  const mib = (field) => statusKiB(process.pid, field) / 1024;

  const time = async (what, kind, call, describe) => {
    emit({ start: what });
    const rssBeforeMiB = mib('VmRSS');
    const times = [];
    let last;
    try {
      for (let k = 0; k < REPEAT; k++) {
        const t = performance.now();
        last = await call();
        times.push(performance.now() - t);
        // A sign of life per call: the parent's timeout is for one call.
        emit({ done: what, ms: times.at(-1) });
      }
      emit({ result: { what, kind, ms: times, rssBeforeMiB, peakMiB: mib('VmHWM'), found: describe(last) } });
    } catch (error) {
      emit({ result: { what, kind, ms: times, rssBeforeMiB, peakMiB: mib('VmHWM'), error: String(error?.message ?? error).split('\n')[0] } });
    }
  };

  await time('suspects (inlineInsightReads)', 'suspects', () => reads.suspects({ now }), (list) => `${list.length} suspects`);

  // Terms from the data itself: the domain most recent recipients share, and the sender of a
  // recent triplet that only a handful of triplets have (a plain address, written the same in the
  // attempt log as in the triplet's key).
  const page = (search) => admin.tripletPage({ search, sort: 'lastSeen', descending: true, offset: 0, limit: PAGE }, now, settings);
  const recent = admin.tripletPage({ sort: 'lastSeen', descending: true, offset: 0, limit: 2000 }, now, settings).rows;
  const domains = new Map();
  const senders = new Map();
  for (const t of recent) {
    const domain = t.recipient.slice(t.recipient.lastIndexOf('@') + 1);
    domains.set(domain, (domains.get(domain) ?? 0) + 1);
    if (/^[a-z0-9.]+@[a-z0-9.-]+$/.test(t.sender)) senders.set(t.sender, (senders.get(t.sender) ?? 0) + 1);
  }
  const common = [...domains].sort((a, b) => b[1] - a[1])[0]?.[0];
  // Each try is one search, so a few only: senders seen once among the recent triplets.
  let rare;
  for (const [sender] of [...senders].filter(([, n]) => n === 1).slice(0, 5)) {
    const { total } = page(sender);
    if (total >= 1 && (rare === undefined || total < rare.total)) rare = { term: sender, total };
    if (rare && rare.total <= 3) break;
  }
  emit({ note: `search terms from the data: rare "${rare?.term}" (${rare?.total} triplets), common "${common}"` });
  const found = (r) => `${r.rows.length} rows shown of ${r.total}${r.capped ? '+' : ''}`;
  for (const [name, term] of [['rare', rare?.term], ['common', common]]) {
    if (!term) {
      emit({ result: { what: `greylist search, ${name} term`, kind: 'search', ms: [], error: 'no term found in the data' } });
      continue;
    }
    await time(`greylist search (tripletPage), ${name} term`, 'search', () => page(term), found);
    await time(`attempt search (searchAttempts), ${name} term`, 'search', () => admin.searchAttempts(term, PAGE), (rows) => `${rows.length} attempts`);
  }
  await store.close();
}

// ---- main ------------------------------------------------------------------------------
if (process.argv[2] === '--inline') {
  await inline(process.argv[3]);
} else {
  const triplets = Number(process.env.BENCH_BIG_DB ?? 1_000_000);
  const attempts = Number(process.env.BENCH_BIG_ATTEMPTS ?? 3 * triplets);
  const databases = [];
  const temporary = [];
  const tempDb = (name) => {
    const dir = fs.mkdtempSync(path.join(benchDataRoot(), 'greyward-bench-insight-'));
    temporary.push(dir);
    return path.join(dir, name);
  };
  try {
    console.log(`insight bench: node ${process.version}; targets: suspects < ${TARGETS.suspectsMs} ms and RSS < ${TARGETS.suspectsRssMiB} MiB, any search < ${TARGETS.searchMs} ms`);
    if (process.env.BENCH_SEEDED_DB) databases.push(['seeded database', path.resolve(process.env.BENCH_SEEDED_DB)]);
    else {
      const dbPath = tempDb('greyward.db');
      seed(dbPath, triplets, attempts);
      databases.push([`${triplets} triplets, ${attempts} attempts`, dbPath]);
    }
    if (process.env.BENCH_SEEDED_DB_10M) databases.push(['seeded 10M-attempt database', path.resolve(process.env.BENCH_SEEDED_DB_10M)]);
    else if (process.env.BENCH_INSIGHT_10M === '1') {
      const dbPath = tempDb('greyward-10m.db');
      seed(dbPath, triplets, 10_000_000);
      databases.push([`${triplets} triplets, 10000000 attempts`, dbPath]);
    }
    const report = [];
    for (const [label, dbPath] of databases) report.push(await benchDatabase(label, dbPath));
    const out = path.join(BENCH_DIR, 'results', 'insight-latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, targets: TARGETS, databases: report }, null, 2) + '\n');
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  }
}
