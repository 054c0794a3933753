// Times `greyward migrate` both ways on a seeded database file: into a new PostgreSQL database,
// and from there into a new file; then checks that the file that came back holds the same
// greylist and log as the one that went (through triplet_view and attempt_view).
//
//   node bench/seed-triplets.mjs /tmp/seed.db 100000 --attempts 300000
//   node bench/migrate-bench.mjs /tmp/seed.db postgres://user@127.0.0.1:5432/postgres
//
// The URL names any database of a server where that user may create databases: the benchmark
// creates an empty one for the copy and drops it afterwards. Build Greyward first (npx tsc -b).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import postgres from 'postgres';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'greyward.cjs');
const [file, adminUrl] = process.argv.slice(2);
if (!file || !adminUrl || !fs.existsSync(file)) {
  console.error('usage: node bench/migrate-bench.mjs DATABASE_FILE POSTGRES_URL   (see the top of this file)');
  process.exit(2);
}

/** Runs `greyward migrate` and resolves with its wall time and its own report of rows and seconds. */
function migrate(from, to) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'migrate', '--from', from, '--to', to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - started) / 1000, report: /copied ([\d,]+) rows/.exec(stderr)?.[1] }) : reject(new Error(`migrate exited with ${code}`))));
  });
}

/** A digest of what a user sees of the greylist and the log, ids included. */
function digest(dbFile) {
  const db = new Database(dbFile, { readonly: true });
  const hash = createHash('sha256');
  for (const query of [
    'SELECT id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM triplet_view ORDER BY id',
    'SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number FROM attempt_view ORDER BY id',
    'SELECT * FROM client_passes ORDER BY client',
    'SELECT * FROM list_entries ORDER BY id',
    'SELECT * FROM settings ORDER BY key',
  ]) {
    for (const row of db.prepare(query).raw().iterate()) hash.update(JSON.stringify(row));
  }
  db.close();
  return hash.digest('hex').slice(0, 16);
}

const name = `greyward_migrate_bench_${randomBytes(4).toString('hex')}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
await admin.unsafe(`CREATE DATABASE ${name}`);
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greyward-migrate-bench-'));
try {
  const into = await migrate(file, url);
  const back = path.join(dir, 'back.db');
  const out = await migrate(url, back);
  const same = digest(file) === digest(back);
  console.log(`migrate-bench: ${into.report} rows file -> PostgreSQL in ${into.seconds.toFixed(1)} s, PostgreSQL -> file in ${out.seconds.toFixed(1)} s (wall, process start included; load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  console.log(`migrate-bench: the file that came back ${same ? 'holds the same' : 'DIFFERS from the'} greylist and log`);
  if (!same) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
}
