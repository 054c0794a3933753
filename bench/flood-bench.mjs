// What hostile or broken clients of the policy port cost the filter: each scenario starts the
// built `greyward filter` (as installed: bin/greyward.cjs with its V8 flags) on a fresh database,
// runs the clients for a while, and prints the filter's resident memory (sampled every 100 ms,
// and the kernel's peak VmHWM) and whether a Postfix-like client was still answered meanwhile.
//
//   node bench/flood-bench.mjs            (after npm run build; FLOOD_SECONDS, FLOOD_SCENARIOS narrow it)
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

/**
 * A Postfix-like client in its own process (the flood must not slow it down): one request at a
 * time on a new connection each second until stopAt, giving up on an answer after 30 s; prints
 * what it saw as JSON.
 */
async function probe(port, stopAt) {
  const result = { asked: 0, answered: 0, slowestMs: 0, failures: [] };
  for (let i = 0; Date.now() < stopAt; i++) {
    const started = Date.now();
    result.asked++;
    const answer = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(rcpt(5_000_000 + i)));
      let data = '';
      const finish = (value) => (socket.destroy(), clearTimeout(timer), resolve(value));
      const timer = setTimeout(() => finish(undefined), 30_000);
      socket.setEncoding('utf8').on('data', (chunk) => (data += chunk).includes('\n\n') && finish(data));
      socket.on('error', (error) => finish(`error ${error.code} after ${Date.now() - started} ms`));
      socket.on('close', () => finish(`closed after ${Date.now() - started} ms`));
    });
    if (answer?.startsWith('action=')) {
      result.answered++;
      result.slowestMs = Math.max(result.slowestMs, Date.now() - started);
    } else {
      result.failures.push(answer ?? 'no answer within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return result;
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
console.log(`scenario         peak RSS  end RSS  VmHWM    filter alive  probe answered  slowest probe`);
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  const filter = await startFilter();
  const stopAt = Date.now() + SECONDS * 1000;
  const probed = startProbe(filter.port, stopAt);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, memory(filter.pid).rss)), 100);
  const sockets = await run(filter.port);
  const { answered, asked, slowestMs, failures } = await probed;
  clearInterval(sampler);
  const end = memory(filter.pid);
  peak = Math.max(peak, end.rss);
  const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`.padEnd(9);
  console.log(
    `${name.padEnd(16)} ${mib(peak)}${mib(end.rss)}${mib(end.hwm)}${String(filter.alive()).padEnd(14)}${`${answered}/${asked}`.padEnd(16)}${slowestMs} ms`,
  );
  for (const failure of failures) console.log(`  probe: ${failure}`);
  if (failures.length > 0) console.log(filter.stderr().split('\n').filter((line) => /^(warning|error)/.test(line)).slice(-5).map((line) => `  filter: ${line}`).join('\n'));
  for (const socket of sockets) socket.destroy();
  if (!filter.alive()) console.log(filter.stderr().split('\n').slice(-15).join('\n'));
  await filter.stop();
}
