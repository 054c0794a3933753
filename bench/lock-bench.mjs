// How long answers wait while another process holds the database's write lock: the built
// `greyward filter` (bin/greyward.cjs) answers first contacts as fast as 8 connections can ask
// (16 requests in flight on each); after LOCK_AFTER seconds this script takes the write lock on the
// database (BEGIN EXCLUSIVE and a write, on its own connection) and holds it LOCK_SECONDS. It prints,
// before, during and after the lock, how many answers came, of which kind, and their latency.
//
//   node bench/lock-bench.mjs     (after npm run build; LOCK_AFTER=2 LOCK_SECONDS=6 LOCK_TAIL=3)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { makeTempDir } from './peers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOCK_AFTER = Number(process.env.LOCK_AFTER ?? 2);
const LOCK_SECONDS = Number(process.env.LOCK_SECONDS ?? 6);
const TAIL = Number(process.env.LOCK_TAIL ?? 3);
const CONNECTIONS = 8;
const DEPTH = 16;

let t0 = performance.now();
const dir = makeTempDir('lock');
const db = path.join(dir, 'greyward.db');
const filter = spawn(path.join(ROOT, 'bin', 'greyward.cjs'), ['filter', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
const logLines = [];
let partial = '';
filter.stderr.setEncoding('utf8').on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) if (!line.startsWith('decision ')) logLines.push(`${((performance.now() - t0) / 1000).toFixed(2)} s ${line}`);
});
const port = await new Promise((resolve, reject) => {
  let out = '';
  filter.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const match = /^ready tcp=127\.0\.0\.1:(\d+)/m.exec(out);
    if (match) resolve(Number(match[1]));
  });
  filter.once('exit', (code) => reject(new Error(`filter exited with ${code}`)));
});

const phases = { before: [], during: [], after: [] };
const kinds = { before: {}, during: {}, after: {} };
let phase = 'before';
let next = 0;
const request = () => {
  const i = next++;
  return `request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\nclient_name=unknown\nsender=s${i}@lock.example\nrecipient=r${i}@example.net\n\n`;
};
let running = true;
const sockets = [];
for (let c = 0; c < CONNECTIONS; c++) {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  const sent = [];
  let buffer = '';
  const ask = () => {
    sent.push({ at: performance.now(), phase });
    socket.write(request());
  };
  socket.on('connect', () => {
    for (let k = 0; k < DEPTH; k++) ask();
  });
  socket.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const answer = buffer.slice(7, end);
      buffer = buffer.slice(end + 2);
      const asked = sent.shift();
      phases[asked.phase].push(performance.now() - asked.at);
      const kind = answer.startsWith('DEFER_IF_PERMIT 4.7.1') ? 'greylisted' : answer;
      kinds[asked.phase][kind] = (kinds[asked.phase][kind] ?? 0) + 1;
      if (running) ask();
    }
  });
  socket.on('error', () => undefined);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
t0 = performance.now();
await sleep(LOCK_AFTER * 1000);
const locker = new Database(db);
locker.exec('BEGIN EXCLUSIVE');
locker.prepare("UPDATE meta SET value = value WHERE key = 'policy_version'").run();
phase = 'during';
await sleep(LOCK_SECONDS * 1000);
locker.exec('ROLLBACK');
locker.close();
phase = 'after';
await sleep(TAIL * 1000);
running = false;
await sleep(500);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
console.log(`write lock held ${LOCK_SECONDS} s by another connection; ${CONNECTIONS} connections x ${DEPTH} requests in flight`);
console.log('phase    answers  per s    p50 ms  p99 ms  max ms  answers by kind');
const seconds = { before: LOCK_AFTER, during: LOCK_SECONDS, after: TAIL };
for (const name of ['before', 'during', 'after']) {
  const sorted = phases[name].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(9)}${String(sorted.length).padEnd(9)}${String(Math.round(sorted.length / seconds[name])).padEnd(9)}` +
      `${percentile(sorted, 50).toFixed(1).padEnd(8)}${percentile(sorted, 99).toFixed(1).padEnd(8)}${(sorted.at(-1) ?? 0).toFixed(1).padEnd(8)}${JSON.stringify(kinds[name])}`,
  );
}
console.log('filter log (decision lines left out):');
for (const line of logLines.slice(0, 20)) console.log(`  ${line}`);
for (const socket of sockets) socket.destroy();
filter.kill('SIGTERM');
await new Promise((resolve) => filter.once('exit', resolve));
fs.rmSync(dir, { recursive: true, force: true });
