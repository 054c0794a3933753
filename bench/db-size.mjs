// Size of a Greyward database, where its pages go, and what 35 days of a busy server would make
// of it. Reads SQLite's own counters only (page_count × page_size after a checkpoint, dbstat per
// table with its indexes), so it follows whatever tables the schema has.

const MiB = 2 ** 20;
export const SIZE_TARGET = { triplets: 1_000_000, attempts: 3_000_000, mib: 300 };
/** A busy but ordinary MX, over the attempt log's default retention. */
export const PROJECTION = { decisionsPerSecond: 50, days: 35 };

/** Measures the database open on `db` (a better-sqlite3 connection). */
export function measureDatabase(db) {
  try {
    // Moves the WAL's pages into the file, so that page_count is the whole database.
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // A read-only connection cannot; the file then misses what its WAL holds.
  }
  const pageSize = db.pragma('page_size', { simple: true });
  const pageCount = db.pragma('page_count', { simple: true });
  const freePages = db.pragma('freelist_count', { simple: true });
  const triplets = db.prepare('SELECT count(*) FROM triplets').pluck().get();
  const attempts = db.prepare('SELECT count(*) FROM attempts').pluck().get();
  let tables = null;
  try {
    // Every index and shadow table counted with the table it belongs to.
    tables = db
      .prepare(
        `SELECT coalesce(m.tbl_name, s.name) AS name, sum(s.pgsize) AS bytes
         FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY 1 ORDER BY 2 DESC`,
      )
      .all();
  } catch {
    // SQLite built without dbstat: the split below falls back to the whole file per attempt.
  }
  return { bytes: pageSize * pageCount, pageSize, pageCount, freePages, triplets, attempts, tables };
}

/**
 * Bytes per attempt and per triplet, and the size 35 days at 50 decisions/s imply:
 *   attempts35 = 50 × 86,400 × 35
 *   triplets35 = attempts35 ÷ (attempts per triplet in the measured database)
 *   size35     = attempts35 × (pages of the attempt log and its indexes ÷ attempts)
 *              + triplets35 × (every other page ÷ triplets)
 * The second line assumes the measured database's mix of new, retried and repeated mail; the last,
 * that everything beside the attempt log (triplets, strings, counters) grows with the triplets.
 */
export function projectSize(measured) {
  const attempts35 = PROJECTION.decisionsPerSecond * 86_400 * PROJECTION.days;
  const perTripletAttempts = measured.triplets ? measured.attempts / measured.triplets : null;
  const attemptBytes = measured.tables ? measured.tables.filter((t) => t.name === 'attempts').reduce((n, t) => n + t.bytes, 0) : null;
  const split = attemptBytes !== null && measured.attempts > 0 && measured.triplets > 0;
  const bytesPerAttemptLog = split ? attemptBytes / measured.attempts : null;
  const bytesPerTripletRest = split ? (measured.bytes - attemptBytes) / measured.triplets : null;
  const triplets35 = perTripletAttempts ? attempts35 / perTripletAttempts : null;
  const size35 = split
    ? attempts35 * bytesPerAttemptLog + triplets35 * bytesPerTripletRest
    : measured.attempts
      ? (attempts35 * measured.bytes) / measured.attempts
      : null;
  return {
    attempts35,
    triplets35,
    perTripletAttempts,
    bytesPerAttemptAll: measured.attempts ? measured.bytes / measured.attempts : null,
    bytesPerAttemptLog,
    bytesPerTripletRest,
    size35,
    formula: split
      ? 'attempts35 x (attempt-log bytes / attempts) + (attempts35 / attempts-per-triplet) x (other bytes / triplets)'
      : 'attempts35 x (file bytes / attempts)',
  };
}

const n = (x) => Math.round(x).toLocaleString('en-US');

/** The lines the benchmarks print about a database's size. */
export function describeSize(measured, label = 'database') {
  const p = projectSize(measured);
  const mib = measured.bytes / MiB;
  const atTargetScale = measured.triplets === SIZE_TARGET.triplets && Math.abs(measured.attempts - SIZE_TARGET.attempts) <= SIZE_TARGET.attempts * 0.05;
  const lines = [
    `${label}: ${n(measured.triplets)} triplets, ${n(measured.attempts)} attempts: ${mib.toFixed(1)} MiB ` +
      `(${n(measured.pageCount)} pages x ${measured.pageSize} B, ${n(measured.freePages)} free)` +
      (atTargetScale ? `; target <= ${SIZE_TARGET.mib} MiB at 1M triplets + 3M attempts ${mib <= SIZE_TARGET.mib ? '[met]' : '[NOT met]'}` : ''),
    `  ${p.bytesPerAttemptAll?.toFixed(0) ?? '-'} B per attempt (whole file / attempts)` +
      (p.bytesPerAttemptLog === null ? '' : `; attempt log with its indexes ${p.bytesPerAttemptLog.toFixed(0)} B per attempt, everything else ${p.bytesPerTripletRest.toFixed(0)} B per triplet`),
  ];
  if (measured.tables) {
    lines.push(`  by table (with its indexes): ${measured.tables.map((t) => `${t.name} ${(t.bytes / MiB).toFixed(1)} MiB`).join(', ')}`);
  }
  if (p.size35 !== null) {
    lines.push(
      `  projection, ${PROJECTION.days} days at ${PROJECTION.decisionsPerSecond} decisions/s: ${n(p.attempts35)} attempts, ` +
        `${n(p.triplets35)} triplets (at this database's ${p.perTripletAttempts.toFixed(2)} attempts per triplet) -> ` +
        `${(p.size35 / 2 ** 30).toFixed(1)} GiB; formula: ${p.formula}`,
    );
  }
  return lines;
}
