// Fills a shared (PostgreSQL) Greyward database with COUNT triplets in a few SQL statements
// (generate_series into `strings` and `triplets`): going through the filter would take an hour.
// The texts are made by one formula, written twice, here in JavaScript and below in SQL; the check
// after seeding builds policy questions from the JavaScript side, keys them with the filter's own
// greylistKey and asks the store as the filter asks it, so a key the filter would build otherwise
// is found out, not benchmarked as a miss.
//
// Client groups are /24s under first octets 1-9, which the load generator never uses (see
// FIRST_OCTETS in policy-load.mjs): its "new" triplets stay new. 60% of the triplets passed within
// the last 30 days, 40% are waiting, first seen within the retry window (older ones would be
// expired by the filter at once). The attempt log is not seeded.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'out');
const built = (relative) => import(pathToFileURL(path.join(OUT_DIR, relative)).href);

const gcd = (a, b) => (b === 0n ? a : gcd(b, a % b));
const lcm = (a, b) => (a * b) / gcd(a, b);

/** How many distinct groups, senders and recipients `count` triplets are made of; every i < count is a distinct triplet. */
export function seedShape(count) {
  const shape = { count, groups: Math.min(9 * 65_536, Math.ceil(count / 5) + 3), senders: Math.ceil(count / 3) + 1, recipients: Math.ceil(count / 10) + 7 };
  const period = [shape.groups, shape.senders, shape.recipients].map(BigInt).reduce(lcm);
  if (period < BigInt(count)) throw new Error(`seed shape ${JSON.stringify(shape)} repeats before ${count} triplets`);
  return shape;
}

/** Triplet i as seeded: its key texts, a client address in its group, and whether it passed. */
export function seededTriplet(i, shape) {
  const g = i % shape.groups;
  const s = i % shape.senders;
  const r = i % shape.recipients;
  const net = `${1 + Math.floor(g / 65_536)}.${Math.floor(g / 256) % 256}.${g % 256}`;
  return {
    key: { clientGroup: `${net}.0/24`, sender: `s${s}x@sd${s % 5003}.seed.example`, recipient: `r${r}x@rd${r % 997}.seed.test` },
    clientAddress: `${net}.${1 + (i % 254)}`,
    passed: i % 5 < 3,
  };
}

/** The same texts as seededTriplet, in SQL over a column n. */
const SQL_TEXT = {
  groups: `(1 + n / 65536) || '.' || (n / 256 % 256) || '.' || (n % 256) || '.0/24'`,
  senders: `'s' || n || 'x@sd' || (n % 5003) || '.seed.example'`,
  recipients: `'r' || n || 'x@rd' || (n % 997) || '.seed.test'`,
};

/**
 * Seeds `count` triplets into the (migrated, empty) database at `url` and checks that the filter's
 * lookup finds them. Returns timings and the check's counts.
 */
export async function seedPgTriplets(url, count, { log = console.log, now = Math.floor(Date.now() / 1000) } = {}) {
  const { PgStore } = await built('main/store/postgres/pg-store.js');
  const shape = seedShape(count);
  const store = await PgStore.open(url);
  const sql = store.sql;
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  try {
    const [{ n: existing }] = await sql`SELECT count(*)::int AS n FROM triplets`;
    if (existing > 0) throw new Error(`${store.description} already holds ${existing} triplets`);
    await sql.begin(async (tx) => {
      for (const [table, text] of Object.entries(SQL_TEXT)) {
        await tx.unsafe(`CREATE TEMP TABLE seed_${table} ON COMMIT DROP AS SELECT n, ${text} AS text FROM generate_series(0, ${shape[table] - 1}) n`);
        await tx.unsafe(`INSERT INTO strings (text) SELECT text FROM seed_${table} ORDER BY n`);
        await tx.unsafe(`CREATE TEMP TABLE seed_${table}_id ON COMMIT DROP AS SELECT n, id FROM seed_${table} JOIN strings USING (text)`);
      }
      log(`  strings: ${shape.groups} client groups, ${shape.senders} senders, ${shape.recipients} recipients (${seconds()} s)`);
      // Passed: first seen 1 h to 30 days ago, passed after 5-65 min, seen again since. Waiting: first seen within the last 2 days.
      await tx.unsafe(`
        INSERT INTO triplets (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
        SELECT s.id, r.id, g.id, f.first_seen,
          CASE WHEN f.passed THEN f.first_seen + f.wait + (${now} - f.first_seen - f.wait) * (i % 100) / 100 ELSE f.first_seen END,
          CASE WHEN f.passed THEN 2 + i % 3 ELSE 1 END, 0,
          CASE WHEN f.passed THEN f.first_seen + f.wait END,
          CASE WHEN f.passed THEN 1 + i % 3 ELSE 0 END
        FROM generate_series(0, ${count - 1}) i
          CROSS JOIN LATERAL (SELECT i % 5 < 3 AS passed, 300 + i % 3600 AS wait,
            CASE WHEN i % 5 < 3 THEN ${now} - 7200 - (i::bigint * 7919) % (30 * 86400 - 7200) ELSE ${now} - 60 - (i::bigint * 7919) % (2 * 86400 - 3600) END AS first_seen) f
          JOIN seed_senders_id s ON s.n = i % ${shape.senders}
          JOIN seed_recipients_id r ON r.n = i % ${shape.recipients}
          JOIN seed_groups_id g ON g.n = i % ${shape.groups}`);
    });
    log(`  triplets: ${count} inserted (${seconds()} s)`);
    await sql`ANALYZE strings`;
    await sql`ANALYZE triplets`;
    const [size] = await sql`SELECT (SELECT count(*)::int FROM triplets) AS triplets, pg_database_size(current_database())::bigint AS bytes`;
    log(`  analyzed: ${size.triplets} triplets, database ${(size.bytes / 2 ** 20).toFixed(0)} MiB (${seconds()} s)`);
    const check = await checkSeeded(store, shape);
    log(`  lookup check: ${check.found}/${check.asked} seeded triplets found by the filter's key and lookup, ${check.keyMismatches} keys built otherwise`);
    if (check.found !== check.asked) throw new Error(`the filter's lookup finds ${check.found} of ${check.asked} seeded triplets`);
    return { shape, seconds: Number(seconds()), databaseBytes: size.bytes, check };
  } finally {
    await store.close();
  }
}

/** Asks the store about a spread of seeded triplets, keyed as the filter keys a policy question. */
async function checkSeeded(store, shape, samples = 1000) {
  const { resolveSettings } = await built('shared/settings.js');
  const { autoAllowClient, greylistKey } = await built('main/filter/engine.js');
  const { settings } = resolveSettings(await store.storedSettings());
  let found = 0;
  let keyMismatches = 0;
  for (let k = 0; k < samples; k++) {
    const i = Math.floor((k * shape.count) / samples);
    const seeded = seededTriplet(i, shape);
    const question = { protocolState: 'RCPT', clientAddress: seeded.clientAddress, clientName: 'unknown', sender: seeded.key.sender.toUpperCase(), recipient: seeded.key.recipient };
    const key = greylistKey(question, settings);
    if (JSON.stringify(key) !== JSON.stringify(seeded.key)) keyMismatches++;
    if ((await store.findGreylistState(key, autoAllowClient(question, settings))).triplet) found++;
  }
  return { asked: samples, found, keyMismatches };
}

/** Policy requests for seeded triplets that passed: a filter that finds them does not defer them. */
export function passedSeededRequests(shape, samples = 200) {
  const requests = [];
  for (let k = 0; requests.length < samples; k++) {
    const i = (k * 9973) % shape.count;
    const seeded = seededTriplet(i, shape);
    if (!seeded.passed) continue;
    const name = `mx${k}.seed.example`;
    requests.push({ clientAddress: seeded.clientAddress, clientName: name, helo: name, sender: seeded.key.sender, recipient: seeded.key.recipient });
  }
  return requests;
}
