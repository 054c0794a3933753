// Large lists: how long an import of COUNT client entries takes, what the filter's memory is
// with them loaded, and how long answers wait while the filter reloads its lists under load.
//
//   node bench/lists-scale-bench.mjs [COUNT]      (COUNT defaults to 1,000,000; run `npx tsc -b` first)
//
// The file is a postgrey client whitelist: 85% IPv4 addresses and networks, 5% IPv6 networks,
// 10% client hostnames. Every program runs as a shell would start it (the bin's Node flags).
// Figures printed:
// - import: wall time of `greyward lists import`, and its peak RSS;
// - filter start: time from spawn to the ready line, RSS and peak RSS once ready;
// - reload stall: 8 connections ask continuously while `lists add` changes the lists RELOADS
//   times; the slowest answer in each window from the change to its reload being applied,
//   against the slowest answer before any reload (the machine's own noise), and the filter's
//   own account of each reload (read on its worker thread, applied on the answering one);
// - filter RSS and peak RSS after the reloads.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRng, makeTriplet, openPolicyConnection } from './policy-load.mjs';
import { makeTempDir, rssMiB, startGreyward } from './peers.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(BENCH_DIR, '..', 'bin', 'greyward.cjs');
const count = Number(process.argv[2] ?? 1_000_000);
const RELOADS = Number(process.env.BENCH_RELOADS ?? 5);
const CONNECTIONS = 8;
const { greywardNodeFlags } = await import('../out/main/node-flags.js');
const nodeFlags = greywardNodeFlags(CLI);

function writeClientList(file, n) {
  const rng = makeRng(42);
  const fd = fs.openSync(file, 'w');
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const r = rng();
    // Distinct by construction: the entry's number is spelt into each form.
    if (r < 0.6) chunk += `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}\n`;
    else if (r < 0.85) chunk += `${120 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24\n`;
    else if (r < 0.9) chunk += `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64\n`;
    else chunk += `mx${i}.relay${i % 997}.example\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

/** Runs the CLI; resolves with its exit, output, wall time and peak RSS (GNU time is not assumed). */
function cli(...args) {
  return new Promise((resolve) => {
    const started = performance.now();
    let peak = 0;
    const child = execFile(process.execPath, [...nodeFlags, CLI, ...args], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      clearInterval(sampler);
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, ms: performance.now() - started, peakMiB: peak });
    });
    const sampler = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid) ?? 0)), 50);
  });
}

function peakRssMiB(pid) {
  try {
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** 8 connections asking continuously; records each answer's latency with the time it was asked. */
async function startLoad(port) {
  const rng = makeRng(7);
  const samples = [];
  let running = true;
  let errors = 0;
  const workers = await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const connection = await openPolicyConnection('127.0.0.1', port);
      // Wrapped: an async function returning the promise itself would wait for it.
      return {
        done: (async () => {
        for (let i = 0; running; i++) {
          const asked = performance.now();
          try {
            await connection.ask(makeTriplet(rng, `c${c}x${i}`));
          } catch {
            errors++;
          }
          samples.push([asked, performance.now() - asked]);
        }
        connection.close();
        })(),
      };
    }),
  );
  return {
    samples,
    errors: () => errors,
    stop: async () => {
      running = false;
      await Promise.all(workers.map((w) => w.done));
    },
  };
}

const worst = (samples, from, to) => samples.reduce((max, [at, ms]) => (at >= from && at < to ? Math.max(max, ms) : max), 0);
const fmt = (ms) => `${ms.toFixed(1)} ms`;

const dir = makeTempDir('lists');
const db = path.join(dir, 'greyward.db');
const listFile = path.join(dir, 'clients.txt');
try {
  writeClientList(listFile, count);
  console.log(`entries: ${count.toLocaleString('en')} client entries (${(fs.statSync(listFile).size / 2 ** 20).toFixed(1)} MiB file)`);
  await cli('settings', 'set', 'delay', '1s', '--db', db);

  const imported = await cli('lists', 'import', listFile, '--format', 'postgrey-clients', '--db', db);
  console.log(`import: exit ${imported.code} in ${(imported.ms / 1000).toFixed(2)} s, peak RSS ${imported.peakMiB} MiB`);
  console.log(`  ${(imported.stdout + imported.stderr).trim().split('\n').slice(-2).join('\n  ')}`);

  const started = performance.now();
  let filter;
  try {
    filter = await startGreyward({ dbPath: db });
  } catch (error) {
    console.log(`filter start: FAILED: ${error.message.split('\n').slice(0, 6).join('\n  ')}`);
    process.exitCode = 1;
  }
  if (filter) {
    console.log(`filter start: ready in ${((performance.now() - started) / 1000).toFixed(2)} s, RSS ${rssMiB(filter.pid)} MiB, peak ${peakRssMiB(filter.pid)} MiB`);
    try {
      const load = await startLoad(filter.port);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const quietEnd = performance.now();
      const windows = [];
      const addEnds = [];
      const appliedAt = [];
      const rssBefore = rssMiB(filter.pid);
      const reloadLines = () => fs.readFileSync(filter.logFile, 'utf8').match(/policy reloaded.*/g) ?? [];
      for (let r = 0; r < RELOADS; r++) {
        const from = performance.now();
        const before = reloadLines().length;
        const added = await cli('lists', 'add', 'deny', 'client-address', `198.51.100.${r + 1}`, '--db', db);
        if (added.code !== 0) console.log(`  lists add failed: ${added.stderr.trim()}`);
        addEnds.push(performance.now());
        // The window lasts until the filter says it has applied the change, and half a second more.
        const deadline = performance.now() + 300_000;
        while (reloadLines().length === before && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        appliedAt.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 500));
        windows.push([from, performance.now()]);
      }
      // The same length of time with no change at all: how slow the slowest answer is anyway, on this machine.
      const longest = Math.max(...windows.map(([from, to]) => to - from));
      const quietFrom = performance.now();
      await new Promise((resolve) => setTimeout(resolve, longest));
      const quietWorst = worst(load.samples, quietFrom, performance.now());
      await load.stop();
      const alive = filter && fs.readFileSync(`/proc/${filter.pid}/status`, 'utf8').length > 0;
      const stalls = windows.map(([from, to]) => worst(load.samples, from, to));
      const reloads = reloadLines();
      console.log(`answers: ${load.samples.length.toLocaleString('en')} (${load.errors()} failed); slowest before reloads ${fmt(worst(load.samples, 0, quietEnd))}`);
      console.log(`reload stall (slowest answer in each reload window): ${stalls.map(fmt).join(', ')}; max ${fmt(Math.max(...stalls))}`);
      const split = windows.map(([from, to], i) => `${fmt(worst(load.samples, from, addEnds[i]))} while \`lists add\` ran, ${fmt(worst(load.samples, addEnds[i], appliedAt[i] - 100))} while the filter read, ${fmt(worst(load.samples, appliedAt[i] - 100, to))} around applying`);
      console.log(`  of which: ${split.join('; ')}`);
      console.log(`slowest answer in a window as long as the longest reload window, with no change: ${fmt(quietWorst)}`);
      console.log(`reload windows: ${windows.map(([from, to]) => `${((to - from) / 1000).toFixed(1)} s`).join(', ')}`);
      for (const line of reloads) console.log(`  filter: ${line}`);
      console.log(`filter: ${alive ? 'alive' : 'DEAD'}, RSS under load before the reloads ${rssBefore} MiB; after them RSS ${rssMiB(filter.pid)} MiB, peak ${peakRssMiB(filter.pid)} MiB`);
    } finally {
      await filter.stop();
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
