// Benchmark of the admin screens, driven in Debian's Chromium through `greyward ui` (the
// browser host and the filter it supervises), against real databases. Prints figures; it is
// not a test and asserts nothing.
//
//   node bench/ui-bench.mjs [live] [greylist]        (both when neither is named)
//
// live      Frame times of the Live deferrals screen while a load generator (a worker thread,
//           N persistent Postfix-like connections, paced) sends real policy requests for new
//           triplets (each one deferred) to the filter at RATE per second for SECONDS. Frames
//           come from Chromium's performance timeline in the page: requestAnimationFrame
//           deltas, and long animation frames (PerformanceObserver 'long-animation-frame').
//           A 3 s idle baseline is measured first. The rate reached is reported, not assumed.
// greylist  Page times of the Greylist screen over a database of COUNT triplets (seeded with
//           bench/seed-triplets.mjs, ~40 s for 1M; or --db PATH to reuse one): the
//           triplets.page requests timed on the page's WebSocket (request frame sent → answer
//           frame received), the screen's own "page in N ms", and the time until the rows are
//           on screen, while jumping the scrollbar to several offsets, while searching, and
//           while sorting. The same queries are also timed straight against the database
//           (AdminQueries, no WebSocket, no rendering) to separate the two.
//
// Options (environment or --name=value):
//   RATE=5000  SECONDS=10  CONNECTIONS=24  COUNT=1000000  DB=PATH (greylist: reuse this seeded database)
//
// Build first (`npm run build`). Everything runs on loopback; every process started here is
// stopped by its PID.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { freePort } from './peers.mjs';
import { makeRng, makeTriplet, openPolicyConnection } from './policy-load.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const CLI = path.join(ROOT, 'bin', 'greyward.cjs');
const CHROMIUM = '/usr/bin/chromium';

// ---------------------------------------------------------------- load generator (worker)

if (!isMainThread) {
  const { port, rate, seconds, connections, seed } = workerData;
  const interval = (connections / rate) * 1000; // ms between two requests of one connection
  const latencies = [];
  const perSecond = new Map();
  const actions = {};
  const errors = new Set();
  let stop = false;
  parentPort.on('message', (message) => {
    if (message === 'stop') stop = true;
  });
  const started = performance.now();
  const worker = async (index) => {
    const rng = makeRng(seed * 7919 + index);
    const conn = await openPolicyConnection('127.0.0.1', port);
    // Spread the connections' schedules over one interval.
    let due = started + (interval * index) / connections;
    let n = 0;
    try {
      while (!stop && performance.now() - started < seconds * 1000) {
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        // Behind schedule by more than a second: drop the backlog rather than burst.
        due = Math.max(due + interval, performance.now() - 1000);
        const t0 = performance.now();
        const action = await conn.ask(makeTriplet(rng, `ui${seed}c${index}n${n++}`));
        const t1 = performance.now();
        latencies.push(t1 - t0);
        actions[action] = (actions[action] ?? 0) + 1;
        const second = Math.floor((t1 - started) / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
    } catch (error) {
      errors.add(error.message);
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  parentPort.postMessage({
    requests: latencies.length,
    seconds: elapsed,
    perSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([, count]) => count),
    actions,
    latency: { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), max: latencies.at(-1) ?? NaN },
    errors: [...errors],
  });
}

// ---------------------------------------------------------------- helpers

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { n: sorted.length, mean: sorted.length ? sum / sorted.length : NaN, p50: pct(sorted, 50), p95: pct(sorted, 95), p99: pct(sorted, 99), max: sorted.at(-1) ?? NaN };
}
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '-');
const int = (x) => Math.round(x).toLocaleString('en-US');

function option(name, fallback) {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name.toLowerCase()}=`));
  const value = flag ? flag.split('=').slice(1).join('=') : process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** `greyward ui` on DB with the filter on a fixed loopback port; resolves once the filter runs. */
async function startUi(db) {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'ui', '--db', db, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(stdout)?.[1];
    if (url && /^filter running: /m.test(stderr)) return { url, port, pid: child.pid, stop, stderr: () => stderr };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`greyward ui did not start:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

async function openScreen(page, label) {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor();
}

function tempDir(what) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `greyward-ui-bench-${what}-`));
}

// ---------------------------------------------------------------- live view under load

const FRAME_RECORDER = `(() => {
  window.__bench = { frames: [], loaf: [], longtasks: [] };
  const tick = (t) => { window.__bench.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__bench.loaf.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration ?? 0 }); })
      .observe({ type: 'long-animation-frame', buffered: false });
  } catch { window.__bench.noLoaf = true; }
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__bench.longtasks.push({ start: e.startTime, duration: e.duration }); })
    .observe({ type: 'longtask', buffered: false });
})()`;

function frameFigures(bench, from, to) {
  const frames = bench.frames.filter((t) => t >= from && t <= to);
  const deltas = [];
  for (let i = 1; i < frames.length; i++) deltas.push(frames[i] - frames[i - 1]);
  const loaf = bench.loaf.filter((e) => e.start >= from && e.start <= to);
  const longtasks = bench.longtasks.filter((e) => e.start >= from && e.start <= to);
  const seconds = (to - from) / 1000;
  return {
    seconds,
    fps: frames.length / seconds,
    delta: stats(deltas),
    over33: deltas.filter((d) => d > 33.4).length,
    over50: deltas.filter((d) => d > 50).length,
    over100: deltas.filter((d) => d > 100).length,
    loafCount: loaf.length,
    loafMs: loaf.reduce((a, e) => a + e.duration, 0),
    loafBlockingMs: loaf.reduce((a, e) => a + e.blocking, 0),
    loafMax: loaf.reduce((a, e) => Math.max(a, e.duration), 0),
    longtaskCount: longtasks.length,
    longtaskMs: longtasks.reduce((a, e) => a + e.duration, 0),
  };
}

function printFrames(title, f) {
  console.log(`  ${title}`);
  console.log(`    frames: ${int(f.delta.n + 1)} in ${f.seconds.toFixed(1)} s = ${f.fps.toFixed(1)} fps`);
  console.log(`    frame time: mean ${ms(f.delta.mean)}, p50 ${ms(f.delta.p50)}, p95 ${ms(f.delta.p95)}, p99 ${ms(f.delta.p99)}, max ${ms(f.delta.max)}`);
  console.log(`    frames over 33 ms: ${f.over33}, over 50 ms: ${f.over50}, over 100 ms: ${f.over100}`);
  console.log(`    long animation frames (>50 ms): ${f.loafCount}, ${int(f.loafMs)} ms in total, longest ${ms(f.loafMax)}, blocking ${int(f.loafBlockingMs)} ms`);
  console.log(`    long tasks (>50 ms): ${f.longtaskCount}, ${int(f.longtaskMs)} ms in total`);
}

async function benchLive() {
  const rate = Number(option('RATE', 5000));
  const seconds = Number(option('SECONDS', 10));
  const connections = Number(option('CONNECTIONS', 24));
  console.log(`\n== Live deferrals under load: target ${int(rate)} deferrals/s for ${seconds} s over ${connections} connections`);
  const dir = tempDir('live');
  const db = path.join(dir, 'greyward.db');
  // Every request is a new triplet: deferred. No auto-allow to keep it that way.
  execFileSync(process.execPath, [CLI, 'settings', 'set', 'autoAllowAfter', '0', '--db', db]);
  const ui = await startUi(db);
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(ui.url);
    await openScreen(page, 'Live deferrals');
    await page.evaluate(FRAME_RECORDER);
    const now = () => page.evaluate('performance.now()');

    await new Promise((resolve) => setTimeout(resolve, 500));
    const idleFrom = await now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idleTo = await now();

    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { port: ui.port, rate, seconds, connections, seed: Date.now() % 100000 } });
    const loadDone = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const loadFrom = await now();
    // What the screen itself says, once a second: "N deferrals/s · M kept".
    const toolbar = [];
    const sampler = setInterval(() => {
      void page.locator('.toolbar-info').innerText().then((text) => toolbar.push(text.replace(/\s+/g, ' ').trim()), () => undefined);
    }, 1000);
    const load = await loadDone;
    const loadTo = await now();
    clearInterval(sampler);
    await worker.terminate();
    // The backlog the screen still had to show when the load stopped.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const afterTo = await now();
    const bench = await page.evaluate('window.__bench');
    const rows = await page.getByRole('option').count();
    const dbCount = Number(execFileSync('sqlite3', [db, "SELECT count(*) FROM attempts WHERE action = 'defer'"], { encoding: 'utf8' }).trim() || NaN);

    console.log(`  load reached: ${int(load.requests)} requests in ${load.seconds.toFixed(1)} s = ${int(load.requests / load.seconds)}/s; per second: ${load.perSecond.map(int).join(', ')}`);
    console.log(`  replies: ${JSON.stringify(load.actions)}; latency p50 ${ms(load.latency.p50)}, p95 ${ms(load.latency.p95)}, p99 ${ms(load.latency.p99)}, max ${ms(load.latency.max)}${load.errors.length ? `; errors: ${load.errors.join('; ')}` : ''}`);
    console.log(`  deferrals recorded in the database: ${Number.isFinite(dbCount) ? int(dbCount) : '(sqlite3 not found)'}`);
    console.log(`  the screen said, each second: ${toolbar.join(' | ')}`);
    console.log(`  rows in the DOM at the end (virtualised): ${rows}`);
    if (bench.noLoaf) console.log('  (this Chromium has no long-animation-frame entries)');
    printFrames('idle, before the load (3 s):', frameFigures(bench, idleFrom, idleTo));
    printFrames(`under load (${((loadTo - loadFrom) / 1000).toFixed(1)} s):`, frameFigures(bench, loadFrom, loadTo));
    printFrames('the 2 s after the load:', frameFigures(bench, loadTo, afterTo));
    await context.close();
  } finally {
    await browser.close();
    await ui.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- greylist over 1M triplets

/** Times every triplets.page request on the page's WebSocket: request frame out → answer frame in. */
function watchPageRequests(page) {
  const pending = new Map();
  const done = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      try {
        const message = JSON.parse(String(payload));
        if (message.request === 'triplets.page') pending.set(message.id, { at: performance.now(), payload: message.payload });
      } catch {}
    });
    ws.on('framereceived', ({ payload }) => {
      const text = String(payload);
      if (!text.startsWith('{"id":')) return;
      try {
        const message = JSON.parse(text);
        const sent = pending.get(message.id);
        if (!sent) return;
        pending.delete(message.id);
        done.push({ ms: performance.now() - sent.at, payload: sent.payload, rows: message.outcome?.value?.rows?.length, total: message.outcome?.value?.total, ok: message.outcome?.ok });
      } catch {}
    });
  });
  return {
    take() {
      return done.splice(0);
    },
    /** Resolves with the answered requests once one matching `test` is among them. */
    async until(test, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done.some((r) => test(r.payload))) {
        if (Date.now() > deadline) throw new Error('no matching triplets.page answer');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return done.splice(0);
    },
  };
}

async function screenPageMs(page) {
  const text = await page.locator('.toolbar-info').innerText();
  return Number(/page in (\d+) ms/.exec(text)?.[1] ?? NaN);
}

async function rowsShown(page, grid) {
  // Rows on screen, none of them a placeholder still waiting for its page.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [placeholders, real] = await Promise.all([grid.locator('.vrow.placeholder').count(), grid.locator('.vrow[data-index]').count()]);
    if (placeholders === 0 && real > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('rows did not appear within 30 s');
}

async function benchGreylist() {
  const count = Number(option('COUNT', 1_000_000));
  let db = option('DB', '');
  let dir;
  console.log(`\n== Greylist screen over ${db ? db : `${int(count)} seeded triplets`}`);
  if (!db) {
    dir = tempDir('greylist');
    db = path.join(dir, 'greyward.db');
    const started = Date.now();
    execFileSync(process.execPath, [path.join(BENCH_DIR, 'seed-triplets.mjs'), db, String(count)], { stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`  seeded in ${((Date.now() - started) / 1000).toFixed(1)} s (${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);
  }

  // The same queries straight against the database: what the handler costs without transport or rendering.
  const { openDatabase } = await import(pathToFileURL(path.join(ROOT, 'out', 'main', 'store', 'database.js')).href);
  const { AdminQueries } = await import(pathToFileURL(path.join(ROOT, 'out', 'main', 'store', 'admin-queries.js')).href);
  const { resolveSettings } = await import(pathToFileURL(path.join(ROOT, 'out', 'shared', 'settings.js')).href);

  const ui = await startUi(db);
  const browser = await launch();
  const results = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const requests = watchPageRequests(page);
    await page.goto(ui.url);
    const opened = performance.now();
    await openScreen(page, 'Greylist');
    const grid = page.getByRole('grid', { name: 'Triplets' });
    await rowsShown(page, grid);
    const total = await page.locator('.toolbar-info').innerText();
    results.push({ what: 'open the screen (first page)', shownMs: performance.now() - opened, requests: requests.take(), screenMs: await screenPageMs(page) });
    console.log(`  the screen says: ${total.replace(/\s+/g, ' ')}`);
    // Again in a fresh page opened on the Greylist itself (#/greylist): no Overview queries before it.
    {
      const direct = await context.newPage();
      const directRequests = watchPageRequests(direct);
      const t0 = performance.now();
      await direct.goto(`${ui.url}#/greylist`);
      const directGrid = direct.getByRole('grid', { name: 'Triplets' });
      await rowsShown(direct, directGrid);
      results.push({ what: 'open #/greylist in a new page (first page)', shownMs: performance.now() - t0, requests: directRequests.take(), screenMs: await screenPageMs(direct), note: '(incl. loading the app)' });
      await direct.close();
    }

    const scroller = grid.locator('.vscroll');
    const ROW = 32;
    for (const row of [1_000, 10_000, 100_000, 250_000, 500_000, 750_000, 999_000, 42, 620_000]) {
      requests.take();
      const t0 = performance.now();
      await scroller.evaluate((element, top) => {
        element.scrollTop = top;
      }, row * ROW);
      await page.waitForFunction((first) => !!document.querySelector(`.vrow[data-index="${first}"]`), row + 2, { polling: 'raf', timeout: 30_000 });
      await rowsShown(page, grid);
      results.push({ what: `jump to row ${int(row)}`, shownMs: performance.now() - t0, requests: requests.take(), screenMs: await screenPageMs(page) });
    }
    // Scrolling on from a position, a screenful at a time, like a wheel or PageDown.
    await scroller.evaluate((element) => {
      element.scrollTop = 300_000 * 32;
    });
    await rowsShown(page, grid);
    requests.take();
    for (let step = 0; step < 10; step++) {
      const t0 = performance.now();
      await scroller.evaluate((element) => {
        element.scrollTop += 2600; // ~80 rows
      });
      await page.waitForTimeout(16);
      await rowsShown(page, grid);
      results.push({ what: `scroll on by ~80 rows (${step + 1})`, shownMs: performance.now() - t0, requests: requests.take(), screenMs: await screenPageMs(page) });
    }
    await scroller.evaluate((element) => {
      element.scrollTop = 0;
    });

    // Searches: typed into the box (the screen waits 300 ms after the last key: not counted).
    const searchBox = page.getByRole('searchbox', { name: 'Search triplets' });
    const sample = JSON.parse(execFileSync('sqlite3', ['-json', db, 'SELECT sender, recipient, client_group AS net FROM triplets WHERE id = 777777 OR id = (SELECT max(id) / 2 FROM triplets)'], { encoding: 'utf8' }) || '[]');
    const searches = [
      'example.org',
      'mail.example.net',
      sample[0]?.sender.split('@')[1] ?? 'kafinsol56.it',
      sample[0]?.sender ?? 'news@kafinsol56.it',
      sample[1]?.recipient ?? 'contact@example.org',
      (sample[0]?.net ?? '2.37.214.0/24').split('/')[0],
      'no-such-sender-anywhere.invalid',
    ];
    for (const search of searches) {
      requests.take();
      const t0 = performance.now();
      await searchBox.fill(search);
      const reqs = await requests.until((payload) => payload.search === search && payload.offset === 0);
      await page.waitForFunction(
        () => !!document.querySelector('.vrow[data-index]:not(.placeholder)') || /No triplet matches/.test(document.querySelector('main')?.textContent ?? ''),
        undefined,
        { timeout: 60_000, polling: 'raf' },
      );
      const shown = performance.now() - t0 - 300;
      reqs.push(...requests.take());
      const info = (await page.locator('.toolbar-info').innerText()).replace(/\s+/g, ' ');
      results.push({ what: `search "${search}" → ${info.replace(/ · page in.*/, '') || 'no match'}`, shownMs: shown, requests: reqs, screenMs: await screenPageMs(page), note: '(after the 300 ms debounce)' });
    }
    await searchBox.fill('');
    await page.waitForTimeout(400);
    await rowsShown(page, grid);

    const SORTS = { Attempts: 'attempts', Sender: 'sender', 'First seen': 'firstSeen', 'Client network': 'clientGroup' };
    for (const [column, sort] of Object.entries(SORTS)) {
      requests.take();
      const t0 = performance.now();
      await grid.getByRole('button', { name: column }).click();
      const reqs = await requests.until((payload) => payload.sort === sort && payload.offset === 0);
      await rowsShown(page, grid);
      results.push({ what: `sort by ${column}`, shownMs: performance.now() - t0, requests: reqs, screenMs: await screenPageMs(page) });
    }
    await context.close();
  } finally {
    await browser.close();
    await ui.stop();
  }

  console.log('  (request: triplets.page round trip on the WebSocket; screen: the "page in N ms" it shows; shown: until the rows are on screen)');
  const all = [];
  for (const r of results) {
    const times = r.requests.map((q) => q.ms);
    all.push(...times);
    const detail = times.length ? times.map((t) => t.toFixed(0)).join(', ') : '-';
    console.log(`  ${r.what.padEnd(64)} request ${detail.padEnd(18)} ms   screen ${String(r.screenMs).padStart(4)} ms   shown ${r.shownMs.toFixed(0).padStart(5)} ms ${r.note ?? ''}`);
  }
  const s = stats(all);
  console.log(`  all triplets.page requests: ${s.n}, p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)}; over 100 ms: ${all.filter((t) => t > 100).length}`);

  // Straight against the database (read-only connection), each query 3 times, best and worst.
  const database = openDatabase(db, { readonly: true });
  const queries = new AdminQueries(database);
  const stored = {};
  for (const { key, value } of database.prepare('SELECT key, value FROM settings').all()) stored[key] = JSON.parse(value);
  const { settings } = resolveSettings(stored);
  const nowSeconds = Math.floor(Date.now() / 1000);
  console.log('  the same queries in the database alone (AdminQueries.tripletPage, limit 200; best / worst of 3):');
  const direct = [
    ['first page, last seen ▼', { sort: 'lastSeen', descending: true, offset: 0 }],
    ['offset 500,000', { sort: 'lastSeen', descending: true, offset: 500_000 }],
    ['offset 999,000', { sort: 'lastSeen', descending: true, offset: 999_000 }],
    ['sort attempts ▼', { sort: 'attempts', descending: true, offset: 0 }],
    ['sort sender ▲', { sort: 'sender', descending: false, offset: 0 }],
    ['search "example.org"', { sort: 'lastSeen', descending: true, offset: 0, search: 'example.org' }],
    ['search "no-such-sender-anywhere.invalid"', { sort: 'lastSeen', descending: true, offset: 0, search: 'no-such-sender-anywhere.invalid' }],
  ];
  for (const [label, query] of direct) {
    const times = [];
    let result;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      result = queries.tripletPage({ limit: 200, ...query }, nowSeconds, settings);
      times.push(performance.now() - t0);
    }
    console.log(`    ${label.padEnd(42)} ${Math.min(...times).toFixed(1).padStart(7)} / ${Math.max(...times).toFixed(1).padStart(7)} ms  (${result.rows.length} rows, total ${int(result.total)}${result.capped ? '+' : ''})`);
  }
  database.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- main

if (isMainThread) {
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const parts = wanted.length ? wanted : ['live', 'greylist'];
  if (!fs.existsSync(path.join(ROOT, 'out', 'renderer', 'index.html'))) {
    console.error('ui-bench: build first (npm run build)');
    process.exit(2);
  }
  console.log(`Greyward UI benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}`);
  console.log('Everything (filter, greyward ui, Chromium, load generator) shares these CPUs.');
  if (parts.includes('live')) await benchLive();
  if (parts.includes('greylist')) await benchGreylist();
}
