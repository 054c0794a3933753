// What hostile or broken clients of the policy port cost the filter: each scenario starts the
// built `greyward filter` (as installed: bin/greyward.cjs with its V8 flags) on a fresh database,
// runs the clients for a while, and prints the filter's resident memory (sampled every 100 ms,
// and the kernel's peak VmHWM) and how Postfix-like clients were answered meanwhile: on a kept
// connection ("kept") and on a new connection each second ("new"), answers and latencies.
//
//   node bench/flood-bench.mjs            (after npm run build; FLOOD_SECONDS, FLOOD_SCENARIOS narrow it;
//                                          FLOOD_SERIES=1 prints every latency, in order)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './peers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.FLOOD_SECONDS ?? 10);
const CONNECTIONS = 1000;
const MiB = 1024 * 1024;

const rcpt = (i) =>
  `request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n` +
  `client_name=unknown\nhelo_name=flood.example\nsender=s${i}@flood.example\nrecipient=r${i}@example.net\n\n`;
const notGreylisted = 'request=smtpd_access_policy\nprotocol_state=DATA\n\n';

async function startFilter() {
  const dir = makeTempDir('flood');
  const child = spawn(path.join(ROOT, 'bin', 'greyward.cjs'), ['filter', '--db', path.join(dir, 'greyward.db'), '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr = (stderr + chunk).slice(-20_000)));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /^ready tcp=127\.0\.0\.1:(\d+)/m.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`filter exited with ${code}:\n${stderr}`)));
  });
  return {
    port,
    pid: child.pid,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function memory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

function connect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => resolve(socket));
  });
}

/** One request on a socket, the answer or why there is none (after 30 s at most). */
function askOn(socket, request) {
  return new Promise((resolve) => {
    let data = '';
    const finish = (value) => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      resolve(value);
    };
    const onData = (chunk) => (data += chunk).includes('\n\n') && finish(data);
    const onError = (error) => finish(`error ${error.code}`);
    const onClose = () => finish('closed');
    const timer = setTimeout(() => finish(undefined), 30_000);
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.write(request);
  });
}

function latencies(result) {
  const sorted = [...result.ms].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN);
  return { ...result, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/**
 * Postfix-like clients in their own process (the flood must not slow them down), until stopAt:
 * "kept" asks one request at a time on one connection, 100 ms after each answer, as smtpd does
 * on a reused policy connection; "new" asks one request on a new connection each second. Each
 * gives up on an answer after 30 s (and connects again). Prints what they saw as JSON.
 */
async function probe(port, stopAt) {
  const open = () => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.setEncoding('utf8').on('error', () => resolve(socket));
  });
  const run = async (keep, pauseMs, base) => {
    const result = { asked: 0, answered: 0, ms: [], failures: [] };
    let socket;
    for (let i = 0; Date.now() < stopAt; i++) {
      const started = Date.now();
      result.asked++;
      if (!socket || socket.destroyed) socket = await open();
      const answer = await askOn(socket, rcpt(base + i));
      const ms = Date.now() - started;
      if (answer?.startsWith('action=')) {
        result.answered++;
        result.ms.push(ms);
      } else {
        result.failures.push(`${answer ?? 'no answer within 30 s'} after ${ms} ms`);
      }
      if (!keep || !answer?.startsWith('action=')) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    socket?.destroy();
    return latencies(result);
  };
  const [kept, fresh] = await Promise.all([run(true, 100, 5_000_000), run(false, 1000, 6_000_000)]);
  return { kept, new: fresh };
}

function startProbe(port, stopAt) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'probe', String(port), String(stopAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  return new Promise((resolve) => child.once('exit', () => resolve(JSON.parse(out))));
}

if (process.argv[2] === 'probe') {
  process.stdout.write(JSON.stringify(await probe(Number(process.argv[3]), Number(process.argv[4]))));
  process.exit(0);
}

/** Writes requests as fast as the socket takes them and never reads an answer. */
function pipelineUnread(socket, request) {
  socket.pause();
  const piece = Buffer.from(request.repeat(Math.ceil(16_384 / request.length)));
  const pump = () => {
    while (!socket.destroyed && socket.write(piece));
  };
  socket.on('drain', pump);
  pump();
}

const scenarios = {
  /** 1,000 connections the cap allows, then 1,000 more that must each make room. */
  'idle-2000': async (port) => {
    const sockets = [];
    for (let i = 0; i < 2 * CONNECTIONS; i++) sockets.push(await connect(port));
    return sockets;
  },
  /** 1,000 connections each holding an unfinished request just under the 64 KB request limit. */
  'partial-64k': async (port) => {
    const partial = `request=smtpd_access_policy\n${Array.from({ length: 15 }, (_, i) => `x${i}=${'y'.repeat(4000)}`).join('\n')}\n`;
    const sockets = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = await connect(port);
      socket.write(partial);
      sockets.push(socket);
    }
    return sockets;
  },
  /** 1,000 connections pipelining requests answered DUNNO at once, never reading. */
  'pipeline-dunno': async (port) => {
    const sockets = [];
    for (let i = 0; i < CONNECTIONS; i++) sockets.push(await connect(port));
    for (const socket of sockets) pipelineUnread(socket, notGreylisted);
    return sockets;
  },
  /** 100 connections pipelining first contacts (decided, written to the database), never reading. */
  'pipeline-rcpt': async (port) => {
    const sockets = [];
    for (let c = 0; c < 100; c++) {
      const socket = await connect(port);
      sockets.push(socket);
      socket.pause();
      let i = c * 1_000_000;
      const pump = () => {
        while (!socket.destroyed) {
          let text = '';
          for (let k = 0; k < 100; k++) text += rcpt(i++);
          if (!socket.write(text)) break;
        }
      };
      socket.on('drain', pump);
      pump();
    }
    return sockets;
  },
};

const only = process.env.FLOOD_SCENARIOS?.split(',');
const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`;
const row = (cells, widths) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('');
const WIDTHS = [16, 10, 10, 10, 7, 6, 10, 9, 9, 9];
console.log(row(['scenario', 'peak RSS', 'end RSS', 'VmHWM', 'alive', 'probe', 'answered', 'p50 ms', 'p99 ms', 'max ms'], WIDTHS));
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  const filter = await startFilter();
  const stopAt = Date.now() + SECONDS * 1000;
  const probed = startProbe(filter.port, stopAt);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, memory(filter.pid).rss)), 100);
  const sockets = await run(filter.port);
  const seen = await probed;
  clearInterval(sampler);
  const end = memory(filter.pid);
  peak = Math.max(peak, end.rss);
  for (const kind of ['kept', 'new']) {
    const { answered, asked, p50, p99, max } = seen[kind];
    const memoryCells = kind === 'kept' ? [name, mib(peak), mib(end.rss), mib(end.hwm), filter.alive()] : ['', '', '', '', ''];
    console.log(row([...memoryCells, kind, `${answered}/${asked}`, p50, p99, max], WIDTHS));
  }
  const failures = [...seen.kept.failures.map((f) => `kept: ${f}`), ...seen.new.failures.map((f) => `new: ${f}`)];
  for (const failure of failures.slice(0, 5)) console.log(`  probe ${failure}`);
  if (failures.length > 5) console.log(`  probe: ${failures.length - 5} more failures`);
  if (failures.length > 0) console.log(filter.stderr().split('\n').filter((line) => /^(warning|error)/.test(line)).slice(-5).map((line) => `  filter: ${line}`).join('\n'));
  if (process.env.FLOOD_SERIES) console.log(JSON.stringify({ kept: seen.kept.ms, new: seen.new.ms }));
  for (const socket of sockets) socket.destroy();
  if (!filter.alive()) console.log(filter.stderr().split('\n').slice(-15).join('\n'));
  await filter.stop();
}
