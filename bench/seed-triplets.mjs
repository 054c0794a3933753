// Fills a Greyward database with COUNT realistic triplets, their attempt log and client pass
// counters, for benchmarking the filter and the insight reads against a big store.
//
//   node bench/seed-triplets.mjs PATH [COUNT] [--attempts N]
//
// COUNT defaults to 1,000,000 triplets, N to what the traffic below makes of them (about 3 per
// triplet). Everything goes in through Greyward's own built modules (run `npx tsc -b` first): the
// database is opened (created and migrated) by out/main/store/database.js, and every attempt is
// written with its triplet and client counter by the filter's decision writer
// (prepareDecisionWriter(db).commit), in time order and in transactions of a few thousand as the
// filter appends them, each triplet's state computed by the filter's engine (tripletAfter,
// clientAfterPass). So the seeded file has whatever layout Greyward ships.
//
// What goes in, for COUNT triplets:
// - triplets keyed like the filter keys them (greylistKey, mailOf, with the stored or default
//   settings). ~60% passed, first seen anywhere in the last 30 days; ~40% still waiting, first
//   seen inside the retry window plus the day the filter keeps lost triplets (older waiting
//   triplets would be deleted by the filter's expiry within its first minute, which would turn
//   the benchmark into an expiry benchmark).
// - attempts: the first defer ("new"), early retries ("early"), the pass after the delay
//   ("passed"), later passes ("known"). With --attempts above the natural count, the extra ones
//   are 85% later passes of passed triplets (in proportion to the passes they have: busy senders
//   repeat) and 15% early retries of waiting ones (bots that hammer and never come back); below it,
//   later passes and early retries are dropped at random. Every triplet keeps its first attempt,
//   a passed one its pass.
// - client pass counters as the filter keeps them (per address or network, autoAllowBy). Seeded
//   clients are not auto-allowed along the way: every attempt goes to its triplet.
//
// Client groups are drawn only from first octets the benchmark's load generator never uses (1-9,
// 100, 169, 172, 192, see FIRST_OCTETS in policy-load.mjs) plus some IPv6 /64s, so the
// benchmark's "new" triplets stay new and are not auto-allowed by a seeded client, and its
// "known" triplets go through the same defer-then-pass priming as on an empty database. A check
// at the end asks the store, as the filter asks it, about the benchmark's triplets and says so if
// any of them or its client is found.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeSize, measureDatabase } from './db-size.mjs';
import { makeKnownTriplets, makeRng, makeTriplet } from './policy-load.mjs';
import { generateTriplets, randomTools } from './seed-traffic.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = path.resolve(BENCH_DIR, '..', 'out');

async function importBuilt(relative) {
  const file = path.join(OUT_DIR, relative);
  if (!fs.existsSync(file)) {
    console.error(`seed-triplets: ${path.relative(process.cwd(), file)} is missing; build Greyward first (npx tsc -b)`);
    process.exit(2);
  }
  return import(pathToFileURL(file).href);
}

const USAGE = 'usage: node bench/seed-triplets.mjs PATH [COUNT] [--attempts N]   (COUNT defaults to 1000000, N to about 3 per triplet)';
const number = (text) => (text !== undefined && /^\d+$/.test(text.replace(/[_,]/g, '')) ? Number(text.replace(/[_,]/g, '')) : NaN);
const positional = [];
let attemptsArg;
for (let k = 2; k < process.argv.length; k++) {
  const arg = process.argv[k];
  if (arg === '--attempts') attemptsArg = number(process.argv[++k]);
  else if (arg.startsWith('--attempts=')) attemptsArg = number(arg.slice('--attempts='.length));
  else positional.push(arg);
}
const [dbPath, countArg] = positional;
const COUNT = countArg === undefined ? 1_000_000 : number(countArg);
if (!dbPath || positional.length > 2 || !(COUNT > 0) || Number.isNaN(attemptsArg)) {
  console.error(USAGE);
  process.exit(2);
}
const SEED = Number(process.env.SEED_RANDOM ?? 0x67726579);
/** Decisions per transaction: the filter commits a batch every few milliseconds. */
const BATCH = 4000;

const { openDatabase } = await importBuilt('main/store/database.js');
const { prepareDecisionWriter } = await importBuilt('main/store/decision-writer.js');
const { SqliteStore } = await importBuilt('main/store/sqlite-store.js');
const { resolveSettings } = await importBuilt('shared/settings.js');
const { clientGroup } = await importBuilt('shared/net.js');
const { autoAllowClient, clientAfterPass, greylistKey, mailOf, tripletAfter } = await importBuilt('main/filter/engine.js');

const started = process.hrtime.bigint();
const elapsed = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
const rng = makeRng(SEED);
const { randInt, between, skewed, hex } = randomTools(rng);

const db = openDatabase(dbPath);
const store = new SqliteStore(db);
const { settings } = resolveSettings(await store.storedSettings());
const existing = db.prepare('SELECT count(*) FROM triplets').pluck().get();
if (existing > 0) {
  console.error(`seed-triplets: ${dbPath} already holds ${existing} triplets; give a new path`);
  await store.close();
  process.exit(2);
}

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
// Spread over 30 days, but never so old that the filter's expiry would delete a row at once.
const span = Math.min(30 * DAY, settings.maxAge - 3600, settings.logRetention - 3600);
const waitingSpan = Math.min(span, settings.retryWindow + DAY - 3600);
const delay = settings.delay;

const traffic = generateTriplets({ count: COUNT, rng, settings, now, span, waitingSpan, mailOf, clientGroup });
const { senderRaw, senderKey, recipients, groupName, groupBase, groupIsV6, groupHost, groupMx } = traffic;
const { tGroup, tSender, tRecipient, tHost, tPassed, tElapsed, tFirst } = traffic;
console.log(`seed-triplets: generated ${traffic.describe} (${elapsed()} s)`);

// ---- attempts per triplet ----------------------------------------------------
// Retries before the delay ran out: rare for real MTAs, common for bots that never come back.
const earlyN = new Uint32Array(COUNT);
// Passes after the first, of passed triplets: the same sender writing again over the month.
const laterN = new Uint32Array(COUNT);
const canEarly = delay >= 20;
let natural = 0;
let passedCount = 0;
for (let i = 0; i < COUNT; i++) {
  const u = rng();
  earlyN[i] = !canEarly ? 0 : tPassed[i] ? (u < 0.8 ? 0 : u < 0.95 ? 1 : 2) : u < 0.7 ? 0 : u < 0.9 ? 1 : between(2, 4);
  if (tPassed[i]) {
    const v = rng();
    laterN[i] = (v < 0.5 ? 1 : v < 0.75 ? 2 : v < 0.87 ? 3 : v < 0.93 ? between(4, 6) : v < 0.98 ? between(7, 15) : between(16, 40)) - 1;
    passedCount++;
  }
  natural += 1 + earlyN[i] + (tPassed[i] ? 1 + laterN[i] : 0);
}
const minimum = COUNT + passedCount;
const wanted = attemptsArg ?? natural;
if (wanted < minimum) {
  console.error(`seed-triplets: ${COUNT} triplets need at least ${minimum} attempts (a first attempt each, and the pass of the passed ones)`);
  await store.close();
  process.exit(2);
}
if (wanted > natural) {
  // Later passes in proportion to the passes a triplet has; early retries of waiting triplets alike.
  const passed = [];
  const waiting = [];
  for (let i = 0; i < COUNT; i++) (tPassed[i] ? passed : waiting).push(i);
  const extra = wanted - natural;
  const toEarly = !canEarly || waiting.length === 0 ? 0 : passed.length === 0 ? extra : Math.round(extra * 0.15);
  const weights = new Float64Array(passed.length);
  let sum = 0;
  passed.forEach((i, k) => (weights[k] = sum += 1 + laterN[i]));
  const pickPassed = () => {
    const r = rng() * sum;
    let lo = 0;
    let hi = passed.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (weights[mid] <= r) lo = mid + 1;
      else hi = mid;
    }
    return passed[lo];
  };
  for (let k = 0; k < extra - toEarly; k++) laterN[pickPassed()]++;
  for (let k = 0; k < toEarly; k++) earlyN[waiting[skewed(waiting.length, 1.5)]]++;
} else if (wanted < natural) {
  // Each droppable attempt stays with the same chance: the total lands within a fraction of a percent.
  const keep = (wanted - minimum) / (natural - minimum);
  const thin = (n) => {
    let kept = 0;
    for (let k = 0; k < n; k++) if (rng() < keep) kept++;
    return kept;
  };
  for (let i = 0; i < COUNT; i++) {
    laterN[i] = thin(laterN[i]);
    earlyN[i] = thin(earlyN[i]);
  }
}

// ---- the attempt log, in time order ---------------------------------------------
const NEW = 0;
const EARLY = 1;
const PASSED = 2;
const KNOWN = 3;
const STEP = ['new', 'early', 'passed', 'known'];
const ACTION = ['defer', 'defer', 'pass', 'pass'];
let total = 0;
for (let i = 0; i < COUNT; i++) total += 1 + earlyN[i] + (tPassed[i] ? 1 + laterN[i] : 0);
const evAt = new Uint32Array(total);
const evTriplet = new Uint32Array(total);
const evKind = new Uint8Array(total);
{
  let e = 0;
  const push = (at, i, kind) => {
    evAt[e] = at;
    evTriplet[e] = i;
    evKind[e++] = kind;
  };
  for (let i = 0; i < COUNT; i++) {
    const first = tFirst[i];
    push(first, i, NEW);
    for (let k = 0; k < earlyN[i]; k++) push(Math.min(now, first + between(10, delay - 1)), i, EARLY);
    if (!tPassed[i]) continue;
    const passedAt = first + tElapsed[i];
    push(passedAt, i, PASSED);
    const reach = Math.max(60, Math.min(now - passedAt, randInt(span)));
    for (let k = 0; k < laterN[i]; k++) push(Math.min(now, passedAt + between(60, reach)), i, KNOWN);
  }
}
// Sorted by time, then by the order pushed: a triplet's own attempts keep their order within a second.
const minFirst = now - span;
const evBits = 2 ** Math.ceil(Math.log2(total + 1));
if ((now - minFirst + 1) * evBits >= 2 ** 53) throw new Error('too many attempts for the ordering encoding');
const order = new Float64Array(total);
for (let e = 0; e < total; e++) order[e] = (evAt[e] - minFirst) * evBits + e;
order.sort();
console.log(`seed-triplets: ${total} attempts planned (${natural} without --attempts), in time order (${elapsed()} s)`);

// ---- write through the filter's decision writer --------------------------------------
// One connection, nobody else on the file: no journal while loading, a big page cache.
db.pragma('journal_mode = OFF');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -1048576');
db.pragma('temp_store = MEMORY');
const writer = prepareDecisionWriter(db);

const tLast = new Uint32Array(COUNT);
const tAttempts = new Uint32Array(COUNT);
const tEarly = new Uint32Array(COUNT);
const tPassedAt = new Uint32Array(COUNT); // 0: not passed
const tPasses = new Uint32Array(COUNT);
const clients = new Map();
const writeStarted = Date.now();
let lastReport = writeStarted;
let reported = 0;
let batch = [];
for (let n = 0; n < total; n++) {
  const e = order[n] % evBits;
  const i = evTriplet[e];
  const at = evAt[e];
  const kind = evKind[e];
  const g = tGroup[i];
  const host = tHost[i];
  const address = groupIsV6[g] ? `${groupBase[g]}:${host.toString(16)}` : `${groupBase[g]}${host}`;
  const provider = groupHost[g];
  const clientName = provider ? `${groupMx[g]}${groupIsV6[g] ? host.toString(16) : host}.${provider}` : 'unknown';
  const helo = provider ? clientName : groupIsV6[g] ? `[IPv6:${address}]` : `[${address}]`;
  const key = { clientGroup: groupName[g], sender: senderKey[tSender[i]], recipient: recipients[tRecipient[i]] };
  const first = tFirst[i];
  const before =
    kind === NEW
      ? undefined
      : { firstSeen: first, lastSeen: tLast[i], attempts: tAttempts[i], earlyAttempts: tEarly[i], passedAt: tPassedAt[i] || null, passes: tPasses[i] };
  const state = tripletAfter(STEP[kind], before, at);
  tLast[i] = state.lastSeen;
  tAttempts[i] = state.attempts;
  tEarly[i] = state.earlyAttempts;
  tPassedAt[i] = state.passedAt ?? 0;
  tPasses[i] = state.passes;
  const write = {
    attempt: {
      at,
      clientAddress: address,
      clientName,
      helo,
      sender: senderRaw[tSender[i]],
      recipient: key.recipient,
      // Postfix has no queue id yet at RCPT time for a deferred first recipient; a pass may already have one.
      queueId: kind >= PASSED && rng() < 0.3 ? hex(10).toUpperCase() : '',
      action: ACTION[kind],
      reason: STEP[kind],
      rule: `triplet ${key.clientGroup} ${key.sender} ${key.recipient}`,
      delay: kind === NEW ? delay : kind === EARLY ? delay - (at - first) : kind === PASSED ? at - first : null,
    },
    triplet: { key, state },
  };
  if (kind >= PASSED) {
    const client = autoAllowClient({ clientAddress: address }, settings);
    const { clientPasses } = clientAfterPass(clients.get(client), client, at, kind === PASSED);
    if (clientPasses) {
      clients.set(client, clientPasses);
      write.clientPasses = clientPasses;
    }
  }
  batch.push(write);
  if (batch.length === BATCH || n === total - 1) {
    writer.commit(batch);
    batch = [];
    const t = Date.now();
    if (t - lastReport >= 5000 || n === total - 1) {
      const seconds = (t - writeStarted) / 1000;
      console.log(
        `seed-triplets: ${n + 1} of ${total} attempts written (${(((n + 1) / total) * 100).toFixed(0)}%), ` +
          `${Math.round((n + 1) / seconds)} attempts/s with their triplet and client rows, ` +
          `${Math.round(((n + 1 - reported) * 1000) / (t - lastReport))}/s lately (${elapsed()} s)`,
      );
      lastReport = t;
      reported = n + 1;
    }
  }
}
const writeSeconds = (Date.now() - writeStarted) / 1000;

// Back to the filter's own settings (WAL is a property of the file).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

// The benchmark's own triplets must find nothing here: no triplet, no client passes.
{
  const probe = makeKnownTriplets(5000);
  const probeRng = makeRng(0xbe9c);
  for (let k = 0; k < 20_000; k++) probe.push(makeTriplet(probeRng, `probe${k}`));
  const seededGroups = new Set(groupName);
  let groupHits = 0;
  let storeHits = 0;
  for (const t of probe) {
    const question = { protocolState: 'RCPT', clientAddress: t.clientAddress, clientName: t.clientName, sender: t.sender, recipient: t.recipient };
    const found = store.findGreylistState(greylistKey(question, settings), autoAllowClient(question, settings));
    if (found.triplet || found.clientPasses) storeHits++;
    if (seededGroups.has(clientGroup(t.clientAddress, settings.clientPrefixV4, settings.clientPrefixV6))) groupHits++;
  }
  console.log(
    `seed-triplets: of ${probe.length} benchmark-style triplets, ${storeHits} found in the store (triplet or client), ` +
      `${groupHits} in a seeded client network`,
  );
  if (storeHits + groupHits > 0) console.error("seed-triplets: warning: the benchmark's triplets overlap the seeded ones");
}

const size = measureDatabase(db);
await store.close();
if (size.triplets !== COUNT || size.attempts !== total) {
  console.error(`seed-triplets: warning: the database holds ${size.triplets} triplets and ${size.attempts} attempts, not ${COUNT} and ${total}`);
}
console.log(
  `seed-triplets: ${COUNT} triplets, ${total} attempts, ${clients.size} client counters in ${elapsed()} s ` +
    `(writing ${writeSeconds.toFixed(1)} s: ${Math.round(total / writeSeconds)} attempts/s through the decision writer)`,
);
for (const line of describeSize(size, `seed-triplets: ${dbPath}`)) console.log(line);
