// Fills a Greyward database with COUNT realistic triplets, their attempt log
// and client pass counters, for benchmarking the filter against a big store.
//
//   node bench/seed-triplets.mjs PATH [COUNT]      (COUNT defaults to 1,000,000)
//
// The database is opened (created and migrated) through out/main/store/database.js,
// so the schema is exactly the one Greyward ships; run `npx tsc -b` first.
//
// What goes in, for COUNT triplets:
// - triplets keyed like the filter keys them: client group from shared/net.js
//   clientGroup() with the stored (or default) prefixes, sender through
//   shared/sender.js normaliseSender(), recipient lower-cased. ~60% passed,
//   first seen anywhere in the last 30 days; ~40% still waiting, first seen
//   inside the retry window plus the day the filter keeps lost triplets (older
//   waiting triplets would be deleted by the filter's expiry within its first
//   minute, which would turn the benchmark into an expiry benchmark).
// - attempts: one row per attempt the triplet counts (the first defer "new",
//   early retries "early", the pass "passed", later passes "known"), in time
//   order like the filter appends them, rule text "triplet GROUP SENDER RECIPIENT"
//   (and attempt_number, where the schema has it).
//   About 3 rows per triplet.
// - client_passes for every client group with a passed triplet.
//
// Client groups are drawn only from first octets the benchmark's load
// generator never uses (1-9, 100, 169, 172, 192, see FIRST_OCTETS in
// policy-load.mjs) plus some IPv6 /64s, so the benchmark's "new" triplets stay
// new and are not auto-allowed by a seeded client network, and its "known"
// triplets go through the same defer-then-pass priming as on an empty
// database. A check at the end asks the database about the benchmark's
// triplets and says so if any of them is found.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeKnownTriplets, makeRng, makeTriplet } from './policy-load.mjs';

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

const [dbPath, countArg] = process.argv.slice(2);
if (!dbPath || (countArg !== undefined && !/^\d+$/.test(countArg.replace(/[_,]/g, '')))) {
  console.error('usage: node bench/seed-triplets.mjs PATH [COUNT]   (COUNT defaults to 1000000)');
  process.exit(2);
}
const COUNT = countArg === undefined ? 1_000_000 : Number(countArg.replace(/[_,]/g, ''));
const SEED = Number(process.env.SEED_RANDOM ?? 0x67726579);

const { openDatabase } = await importBuilt('main/store/database.js');
const { resolveSettings } = await importBuilt('shared/settings.js');
const { clientGroup } = await importBuilt('shared/net.js');
const { normaliseSender } = await importBuilt('shared/sender.js');

const started = process.hrtime.bigint();
const elapsed = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
const rng = makeRng(SEED);
const randInt = (n) => Math.floor(rng() * n);
const between = (lo, hi) => lo + randInt(hi - lo + 1);
const pick = (array) => array[randInt(array.length)];
/** Index in [0, n) favouring small indices: a few big senders and networks, a long tail. */
const skewed = (n, power) => Math.min(n - 1, Math.floor(n * rng() ** power));

const db = openDatabase(dbPath);
const stored = {};
for (const { key, value } of db.prepare('SELECT key, value FROM settings').all()) {
  try {
    stored[key] = JSON.parse(value);
  } catch {
    stored[key] = value;
  }
}
const { settings } = resolveSettings(stored);
const existing = db.prepare('SELECT count(*) FROM triplets').pluck().get();
if (existing > 0) {
  console.error(`seed-triplets: ${dbPath} already holds ${existing} triplets; give a new path`);
  db.close();
  process.exit(2);
}

const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
// Spread over 30 days, but never so old that the filter's expiry would delete a row at once.
const span = Math.min(30 * DAY, settings.maxAge - 3600, settings.logRetention - 3600);
const waitingSpan = Math.min(span, settings.retryWindow + DAY - 3600);
const delay = settings.delay;

// ---- pools ---------------------------------------------------------------
const FIRST = ['james', 'mary', 'john', 'linda', 'peter', 'anna', 'lukas', 'sophie', 'marc', 'julia', 'tom', 'eva', 'paul', 'nina',
  'david', 'sara', 'mike', 'laura', 'chris', 'emma', 'jan', 'lea', 'ali', 'maria', 'ivan', 'olga', 'wei', 'yuki', 'raj', 'ines'];
const LAST = ['smith', 'jones', 'muller', 'schmidt', 'martin', 'bernard', 'rossi', 'garcia', 'novak', 'kowalski', 'nielsen', 'silva',
  'dubois', 'weber', 'meyer', 'wagner', 'becker', 'brown', 'taylor', 'wilson', 'evans', 'walker', 'young', 'king', 'wright'];
const ROLE = ['info', 'noreply', 'no-reply', 'newsletter', 'support', 'billing', 'invoice', 'notifications', 'alerts', 'sales',
  'contact', 'office', 'hr', 'jobs', 'orders', 'shipping', 'service', 'news', 'marketing', 'donotreply', 'postmaster', 'admin'];
const SYL = ['ka', 'lo', 'mi', 'ter', 'net', 'sol', 'var', 'bri', 'do', 'gen', 'tra', 'ex', 'co', 'lux', 'pra', 'vin', 'zen', 'ro',
  'ma', 'tel', 'fin', 'nor', 'sta', 'qu', 'bel', 'an', 'di', 'mon', 'pe', 'ri'];
const TLD = ['com', 'com', 'com', 'net', 'org', 'de', 'fr', 'co.uk', 'nl', 'it', 'es', 'io', 'ch', 'at', 'se', 'pl', 'eu', 'info'];
const MX_PREFIX = ['mail', 'mx', 'smtp', 'out', 'mta', 'relay', 'o', 'mail-out', 'smtp-out', 'bounce'];
const hex = (digits) => {
  let s = '';
  for (let i = 0; i < digits; i++) s += '0123456789abcdef'[randInt(16)];
  return s;
};

// Sender domains (also used for client host names).
const domainCount = Math.max(50, Math.round(COUNT / 20));
const domains = new Set();
while (domains.size < domainCount) {
  let word = '';
  for (let n = between(2, 4); n > 0; n--) word += pick(SYL);
  if (rng() < 0.2) word += between(1, 99);
  domains.add(`${word}.${pick(TLD)}`);
}
const domainList = [...domains];
domains.clear();

// Senders: raw envelope sender as smtpd sends it, and the key the filter stores (distinct keys only).
const senderCount = Math.max(100, Math.round(COUNT * 0.4));
const senderRaw = [];
const senderKey = [];
{
  const seen = new Set();
  for (let tries = 0; senderKey.length < senderCount && tries < senderCount * 20; tries++) {
    const domain = domainList[skewed(domainList.length, 2)];
    const r = rng();
    let raw;
    if (r < 0.02) raw = '';
    else if (r < 0.5) raw = `${pick(FIRST)}.${pick(LAST)}@${domain}`;
    else if (r < 0.6) raw = `${pick(FIRST)[0]}${pick(LAST)}${rng() < 0.3 ? between(1, 99) : ''}@${domain}`;
    else if (r < 0.8) raw = `${pick(ROLE)}@${rng() < 0.3 ? pick(['mail.', 'news.', 'e.', 'em.', 'notify.']) : ''}${domain}`;
    else if (r < 0.87) raw = `bounces+${hex(8)}-${between(1, 99999)}@lists.${domain}`;
    else if (r < 0.93) raw = `prvs=${between(1, 9)}${hex(9)}=${pick(ROLE)}@${domain}`;
    else if (r < 0.97) raw = `bounce-${between(100, 999999)}-${between(1, 9999999)}@${pick(['mailer.', 'bounce.', 'mta.'])}${domain}`;
    else raw = `SRS0=${hex(4)}=${pick(['AB', 'CD', 'XY', 'QR'])}=${pick(domainList)}=${pick(FIRST)}@forward.${domain}`;
    const key = normaliseSender(raw);
    if (seen.has(key)) continue;
    seen.add(key);
    senderRaw.push(raw);
    senderKey.push(key);
  }
}

// Local recipients of the domains Postfix receives for.
const recipientCount = Math.max(20, Math.min(20_000, Math.round(COUNT / 100)));
const LOCAL_DOMAINS = ['example.org', 'mail.example.net', 'corp.example.com', 'example-shop.example', 'lists.example.org'];
const recipients = [];
{
  const seen = new Set();
  while (recipients.length < recipientCount) {
    const r = rng();
    const local = r < 0.7 ? `${pick(FIRST)}.${pick(LAST)}${rng() < 0.2 ? between(2, 9) : ''}` : r < 0.9 ? `${pick(FIRST)[0]}${pick(LAST)}` : pick(ROLE);
    const address = `${local}@${LOCAL_DOMAINS[skewed(LOCAL_DOMAINS.length, 1.5)]}`;
    if (!seen.has(address)) seen.add(address), recipients.push(address);
  }
}

// Client networks, outside the address space the benchmark's load generator draws from.
const groupCount = Math.max(100, Math.round(COUNT / 4));
const V4_SPACE = [
  // [first octet, allowed second octets]
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => [a, () => randInt(256)]),
  [100, () => (rng() < 0.25 ? randInt(64) : between(128, 255))],
  [169, () => randInt(254)],
  [172, () => (rng() < 0.06 ? randInt(16) : between(32, 255))],
  [192, () => { for (;;) { const b = randInt(256); if (b !== 168 && b !== 0) return b; } }],
];
const groupName = []; // client_group text
const groupBase = []; // address without the host part
const groupIsV6 = new Uint8Array(groupCount);
const groupHost = []; // provider domain for client_name, '' for no reverse DNS
const groupMx = [];
{
  const seen = new Set();
  while (groupName.length < groupCount) {
    const v6 = rng() < 0.12;
    let base, sample;
    if (v6) {
      base = `2${pick(['a00', 'a01', 'a02', '001', '604', '607', '803'])}:${hex(4)}:${hex(4)}:${hex(3)}:`;
      sample = `${base}:${hex(3)}`;
    } else {
      const [a, second] = pick(V4_SPACE);
      base = `${a}.${second()}.${randInt(256)}.`;
      sample = `${base}${between(1, 254)}`;
    }
    const name = clientGroup(sample, settings.clientPrefixV4, settings.clientPrefixV6);
    if (seen.has(name)) continue;
    seen.add(name);
    groupIsV6[groupName.length] = v6 ? 1 : 0;
    groupName.push(name);
    groupBase.push(base);
    groupHost.push(rng() < 0.1 ? '' : domainList[skewed(domainList.length, 2)]);
    groupMx.push(pick(MX_PREFIX));
  }
}

// ---- triplet keys and first-seen times ---------------------------------------
const tGroup = new Uint32Array(COUNT);
const tSender = new Uint32Array(COUNT);
const tRecipient = new Uint32Array(COUNT);
const tHost = new Uint16Array(COUNT);
const tPassed = new Uint8Array(COUNT);
const tElapsed = new Uint32Array(COUNT); // first_seen to passed_at, for passed triplets
const tFirst = new Uint32Array(COUNT);
{
  const keyOf = (g, s, r) => (g * senderCount + s) * recipientCount + r;
  if (!Number.isSafeInteger(keyOf(groupCount, senderCount, recipientCount))) throw new Error('COUNT too large for the key encoding');
  const taken = new Set();
  for (let i = 0; i < COUNT; i++) {
    let g, s, r, key;
    do {
      g = skewed(groupCount, 2.5);
      s = skewed(senderKey.length, 1.6);
      r = skewed(recipientCount, 1.4);
      key = keyOf(g, s, r);
    } while (taken.has(key));
    taken.add(key);
    tGroup[i] = g;
    tSender[i] = s;
    tRecipient[i] = r;
    tHost[i] = between(1, groupIsV6[g] ? 0xffff : 254);
    if (rng() < 0.6) {
      tPassed[i] = 1;
      // Postfix retries after 5 minutes, then backs off; most pass within the hour.
      const u = rng();
      let e =
        u < 0.5 ? delay + between(1, 600)
        : u < 0.8 ? delay + between(600, 3600)
        : u < 0.95 ? between(3600, 6 * 3600)
        : between(6 * 3600, 2 * DAY);
      e = Math.max(delay + 1, Math.min(e, settings.retryWindow));
      tElapsed[i] = e;
      tFirst[i] = now - span + randInt(Math.max(1, span - e));
    } else {
      tFirst[i] = now - waitingSpan + randInt(waitingSpan);
    }
  }
}
console.log(`seed-triplets: generated ${COUNT} keys over ${groupCount} client networks, ${senderKey.length} senders, ${recipientCount} recipients (${elapsed()} s)`);

// Triplet ids in first-seen order, as the filter would have created them.
if (COUNT >= 2 ** 25) throw new Error('COUNT too large for the ordering encoding');
const order = new Float64Array(COUNT);
const minFirst = now - span;
for (let i = 0; i < COUNT; i++) order[i] = (tFirst[i] - minFirst) * 2 ** 25 + i;
order.sort();

// ---- grow-able event arrays (attempt log) ----------------------------------------
let evLength = 0;
let evAt = new Uint32Array(COUNT * 3);
let evTriplet = new Uint32Array(COUNT * 3); // triplet array index
let evKind = new Uint8Array(COUNT * 3); // 0 new, 1 early, 2 passed, 3 known
let evDelay = new Int32Array(COUNT * 3); // -1: NULL
let evNumber = new Uint16Array(COUNT * 3); // the triplet's attempt count after this attempt
function pushEvent(at, triplet, kind, d, number) {
  if (evLength === evAt.length) {
    const grow = (a) => {
      const b = new a.constructor(a.length * 2);
      b.set(a);
      return b;
    };
    evAt = grow(evAt);
    evTriplet = grow(evTriplet);
    evKind = grow(evKind);
    evDelay = grow(evDelay);
    evNumber = grow(evNumber);
  }
  evAt[evLength] = at;
  evTriplet[evLength] = triplet;
  evKind[evLength] = kind;
  evDelay[evLength] = d;
  evNumber[evLength] = number;
  evLength++;
}

// Client network pass counters.
const cpCount = new Uint32Array(groupCount);
const cpFirst = new Uint32Array(groupCount);
const cpLast = new Uint32Array(groupCount);

// ---- bulk load ---------------------------------------------------------------
// One connection, nobody else on the file: no journal while loading, a big page cache.
db.pragma('journal_mode = OFF');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -1048576');
db.pragma('temp_store = MEMORY');

const tripletId = new Uint32Array(COUNT);
const insertTriplet = db.prepare(
  `INSERT INTO triplets (id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
const early = [];
db.transaction(() => {
  for (let rank = 0; rank < COUNT; rank++) {
    const i = order[rank] % 2 ** 25;
    const id = rank + 1;
    tripletId[i] = id;
    const first = tFirst[i];
    pushEvent(first, i, 0, delay, 1);
    // Retries before the delay ran out: rare for real MTAs, common for spam bots that never come back.
    early.length = 0;
    const u = rng();
    const earlyCount = delay < 20 ? 0 : tPassed[i] ? (u < 0.8 ? 0 : u < 0.95 ? 1 : 2) : u < 0.7 ? 0 : u < 0.9 ? 1 : between(2, 4);
    for (let k = 0; k < earlyCount; k++) early.push(Math.min(now, first + between(10, delay - 1)));
    early.sort((a, b) => a - b);
    for (let k = 0; k < early.length; k++) pushEvent(early[k], i, 1, delay - (early[k] - first), 2 + k);
    let last = early.length ? early[early.length - 1] : first;
    let passedAt = null;
    let passes = 0;
    if (tPassed[i]) {
      passedAt = first + tElapsed[i];
      pushEvent(passedAt, i, 2, tElapsed[i], 2 + earlyCount);
      const v = rng();
      passes = v < 0.5 ? 1 : v < 0.75 ? 2 : v < 0.87 ? 3 : v < 0.93 ? between(4, 6) : v < 0.98 ? between(7, 15) : between(16, 40);
      const reach = Math.max(60, Math.min(now - passedAt, randInt(span)));
      const later = [];
      for (let k = 1; k < passes; k++) later.push(Math.min(now, passedAt + between(60, reach)));
      later.sort((a, b) => a - b);
      for (let k = 0; k < later.length; k++) pushEvent(later[k], i, 3, -1, 3 + earlyCount + k);
      last = later.length ? later[later.length - 1] : passedAt;
      const g = tGroup[i];
      if (cpCount[g] === 0 || passedAt < cpFirst[g]) cpFirst[g] = passedAt;
      if (last > cpLast[g]) cpLast[g] = last;
      cpCount[g] += passes;
    }
    insertTriplet.run(
      id,
      groupName[tGroup[i]],
      senderKey[tSender[i]],
      recipients[tRecipient[i]],
      first,
      last,
      1 + earlyCount + passes,
      earlyCount,
      passedAt,
      passes,
    );
  }
})();
console.log(`seed-triplets: ${COUNT} triplets written (${elapsed()} s)`);

// Attempt log, in time order like the filter appends it.
const eventOrder = new Float64Array(evLength);
const evBits = 2 ** Math.ceil(Math.log2(evLength + 1));
for (let e = 0; e < evLength; e++) eventOrder[e] = (evAt[e] - minFirst) * evBits + e;
eventOrder.sort();
// Schema version 2 numbers each attempt of a triplet; fill it in when the column is there.
const withNumber = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('attempts').includes('attempt_number');
const insertAttempt = db.prepare(
  `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id${withNumber ? ', attempt_number' : ''})
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${withNumber ? ', ?' : ''})`,
);
const KIND_ACTION = ['defer', 'defer', 'pass', 'pass'];
const KIND_REASON = ['new', 'early', 'passed', 'known'];
db.transaction(() => {
  for (let n = 0; n < evLength; n++) {
    const e = eventOrder[n] % evBits;
    const i = evTriplet[e];
    const g = tGroup[i];
    const host = tHost[i];
    const address = groupIsV6[g] ? `${groupBase[g]}:${host.toString(16)}` : `${groupBase[g]}${host}`;
    const provider = groupHost[g];
    const clientName = provider ? `${groupMx[g]}${groupIsV6[g] ? host.toString(16) : host}.${provider}` : 'unknown';
    const helo = provider ? clientName : groupIsV6[g] ? `[IPv6:${address}]` : `[${address}]`;
    const group = groupName[g];
    const sender = senderKey[tSender[i]];
    const recipient = recipients[tRecipient[i]];
    const kind = evKind[e];
    insertAttempt.run(
      evAt[e],
      address,
      clientName,
      helo,
      senderRaw[tSender[i]],
      recipient,
      // Postfix has no queue id yet at RCPT time for a deferred first recipient; a pass may already have one.
      kind >= 2 && rng() < 0.3 ? hex(10).toUpperCase() : '',
      KIND_ACTION[kind],
      KIND_REASON[kind],
      `triplet ${group} ${sender} ${recipient}`,
      evDelay[e] < 0 ? null : evDelay[e],
      tripletId[i],
      ...(withNumber ? [evNumber[e]] : []),
    );
  }
})();
console.log(`seed-triplets: ${evLength} attempts written (${elapsed()} s)`);

// Client networks' passes (as the filter keeps them with autoAllowBy network): at most one counted per hour.
const insertClient = db.prepare('INSERT INTO client_passes (client, passes, last_counted_at, last_seen) VALUES (?, ?, ?, ?)');
let clients = 0;
db.transaction(() => {
  for (let g = 0; g < groupCount; g++) {
    if (cpCount[g] === 0) continue;
    const hours = Math.floor((cpLast[g] - cpFirst[g]) / 3600) + 1;
    insertClient.run(groupName[g], Math.min(cpCount[g], hours), cpLast[g], cpLast[g]);
    clients++;
  }
})();
console.log(`seed-triplets: ${clients} client networks written (${elapsed()} s)`);

// Back to the filter's own settings (WAL is a property of the file).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

// The benchmark's own triplets must find nothing here: no triplet, no client network.
{
  const tripletHit = db.prepare('SELECT 1 FROM triplets WHERE client_group = ? LIMIT 1').pluck();
  const clientHit = db.prepare('SELECT 1 FROM client_passes WHERE client = ?').pluck();
  const probe = makeKnownTriplets(5000);
  const probeRng = makeRng(0xbe9c);
  for (let n = 0; n < 20_000; n++) probe.push(makeTriplet(probeRng, `probe${n}`));
  let hits = 0;
  for (const t of probe) {
    const group = clientGroup(t.clientAddress, settings.clientPrefixV4, settings.clientPrefixV6);
    if (tripletHit.get(group) || clientHit.get(group)) hits++;
  }
  console.log(`seed-triplets: ${hits} of ${probe.length} benchmark-style client networks found in the seeded data`);
  if (hits > 0) console.error('seed-triplets: warning: the benchmark\'s triplets overlap the seeded ones');
}
db.close();

const bytes = ['', '-wal', '-shm'].reduce((sum, suffix) => {
  try {
    return sum + fs.statSync(dbPath + suffix).size;
  } catch {
    return sum;
  }
}, 0);
console.log(
  `seed-triplets: ${COUNT} triplets, ${evLength} attempts, ${clients} client networks in ${elapsed()} s; ` +
    `${dbPath} is ${(bytes / 2 ** 20).toFixed(1)} MiB`,
);
