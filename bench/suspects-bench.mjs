// Times the suspects list on a database (a copy: the incremental part appends attempts to it):
// the full build as `greyward suspects --json` does it (its peak RSS read from /proc), and the
// model the insight thread keeps, refreshed after attempts committed through the store.
//
//   node bench/suspects-bench.mjs PATH [ATTEMPTS]      (ATTEMPTS appended, default 5,000)
//
// Run `npm run build` first: the code measured is the built one in out/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [dbPath, countArg = '5000'] = process.argv.slice(2);
if (!dbPath || !fs.existsSync(dbPath)) {
  console.error('usage: node bench/suspects-bench.mjs PATH [ATTEMPTS]  (a copy of a seeded database)');
  process.exit(2);
}
const out = (relative) => import(path.join(ROOT, 'out', relative));

// The CLI in its own process: wall time, and peak RSS as the kernel saw it.
const cli = spawnSync('/usr/bin/time', ['-f', '%e s %M KiB', process.execPath, path.join(ROOT, 'bin/greyward.cjs'), 'suspects', '--json', '--db', dbPath], {
  maxBuffer: 2 ** 31,
  encoding: 'buffer',
});
const [elapsed, , peak] = cli.stderr.toString().trim().split('\n').at(-1).split(' ');
const listed = cli.stdout.toString('latin1').match(/\n  {\n    "id"/g)?.length ?? 0;
console.log(`greyward suspects --json: ${elapsed} s, peak RSS ${(Number(peak) / 1024).toFixed(0)} MiB, ${listed.toLocaleString('en')} suspects, ${(cli.stdout.length / 2 ** 20).toFixed(0)} MiB of JSON (exit ${cli.status})`);

const { openDatabase } = await out('main/store/database.js');
const { SqliteStore } = await out('main/store/sqlite-store.js');
const { SuspectModel } = await out('main/insight/suspect-model.js');
const reader = new SqliteStore(openDatabase(dbPath, { readonly: true }));
const writer = new SqliteStore(openDatabase(dbPath));
const lastAt = reader.db.prepare('SELECT at FROM attempts ORDER BY id DESC LIMIT 1').pluck().get();
let now = lastAt + 60;
const model = new SuspectModel(reader.db, reader);
const timed = async (label, work) => {
  const started = performance.now();
  const result = await work();
  console.log(`${label}: ${(performance.now() - started).toFixed(0)} ms${result === undefined ? '' : `, ${result}`}`);
  return result;
};
await timed('model built, screen list (1,000)', async () => `${(await model.list(now, { limit: 1000 })).length} suspects`);
console.log(`  rss after build ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (this process also holds the writer's connection)`);
await timed('screen list again, nothing new', async () => `${(await model.list(now, { limit: 1000 })).length} suspects`);

// New attempts as the filter writes them: first contacts, retries of waiting triplets, passes.
const count = Number(countArg);
const waiting = reader.db.prepare('SELECT sender, recipient, client_group, first_seen, attempts, id FROM triplet_view WHERE passed_at IS NULL ORDER BY id DESC LIMIT ?').all(count);
const writes = [];
for (let i = 0; i < count; i++) {
  const at = now + Math.floor(i / 50);
  const retry = i % 3 !== 0 && waiting[i];
  const key = retry ? { clientGroup: waiting[i].client_group, sender: waiting[i].sender, recipient: waiting[i].recipient } : { clientGroup: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.0/24`, sender: `bench${i}@bench${i % 97}.example`, recipient: 'user@example.net' };
  const passes = retry && i % 3 === 1;
  const state = retry
    ? { firstSeen: waiting[i].first_seen, lastSeen: at, attempts: waiting[i].attempts + 1, earlyAttempts: 0, passedAt: passes ? at : null, passes: passes ? 1 : 0 }
    : { firstSeen: at, lastSeen: at, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
  writes.push({
    attempt: { at, clientAddress: key.clientGroup.replace('0/24', '7'), clientName: 'unknown', helo: 'bench', sender: key.sender, recipient: key.recipient, queueId: '', action: passes ? 'pass' : 'defer', reason: passes ? 'passed' : retry ? 'early' : 'new', rule: `triplet ${key.clientGroup} ${key.sender} ${key.recipient}`, delay: null },
    triplet: { key, state, ...(retry ? { id: waiting[i].id } : {}) },
  });
}
for (let i = 0; i < writes.length; i += 500) await writer.commit(writes.slice(i, i + 500));
now += Math.ceil(count / 50) + 60;
await timed(`${count.toLocaleString('en')} attempts appended, screen list refreshed`, async () => `${(await model.list(now, { limit: 1000 })).length} suspects`);
await timed('default list (all of it), refreshed, counted', async () => {
  let n = 0;
  for (const _ of await model.suspects(now, {})) n++;
  return `${n.toLocaleString('en')} suspects`;
});
console.log(`peak RSS of this process ${fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)[1] / 1024 | 0} MiB`);
await reader.close();
await writer.close();
