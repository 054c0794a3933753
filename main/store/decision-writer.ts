import type { SqliteDatabase } from './database.js';
import type { DecisionWrite, ExpiryLimits, FilterPresence } from './greylist-store.js';

/** The filter's writes: decisions in batches and expiry in slices. Runs wherever its connection lives. */
export interface DecisionWriter {
  commit(writes: readonly DecisionWrite[]): void;
  expire(limits: ExpiryLimits): number;
  /** Records that this filter is alive (or, with seenAt null, that it has stopped). */
  announce(presence: FilterPresence, running: boolean): void;
}

export function prepareDecisionWriter(db: SqliteDatabase): DecisionWriter {
  // Positional parameters: the commit runs for every decision, and binding by name costs an object per row.
  const upsertTriplet = db
    .prepare(
      `INSERT INTO triplets (client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_group, sender, recipient) DO UPDATE SET
         first_seen = excluded.first_seen, last_seen = excluded.last_seen, attempts = excluded.attempts,
         early_attempts = excluded.early_attempts, passed_at = excluded.passed_at, passes = excluded.passes
       RETURNING id`,
    )
    .pluck();
  // A retry of a stored triplet: by the id the lookup returned, checked against the key in case the row
  // was expired and its id reused since. first_seen stays out of the SET: naming an indexed column
  // rewrites its index entry even when the value is the same.
  const updateRetry = db.prepare(
    `UPDATE triplets SET last_seen = ?, attempts = ?, early_attempts = ?, passed_at = ?, passes = ?
     WHERE id = ? AND client_group = ? AND sender = ? AND recipient = ? AND first_seen = ?`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertClient = db.prepare(
    `INSERT INTO client_passes (client, passes, last_counted_at, last_seen)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (client) DO UPDATE SET
       passes = excluded.passes, last_counted_at = excluded.last_counted_at, last_seen = excluded.last_seen`,
  );
  const announce = db.prepare(
    `INSERT INTO filter_presence (pid, host, endpoints, version, started_at, seen_at)
     VALUES (@pid, @host, @endpoints, @version, @startedAt, @seenAt)
     ON CONFLICT (host, pid) DO UPDATE SET endpoints = excluded.endpoints, seen_at = excluded.seen_at`,
  );
  const withdraw = db.prepare('DELETE FROM filter_presence WHERE host = ? AND pid = ?');
  const hit = db.prepare('UPDATE list_entries SET hits = hits + 1, last_hit_at = ? WHERE id = ?');
  const expiryStatements = [
    // Waiting triplets stay a day past their window so that the lost ones can still be seen.
    db.prepare('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE passed_at IS NULL AND first_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE last_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM client_passes WHERE client IN (SELECT client FROM client_passes WHERE last_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ? ORDER BY at LIMIT ?)'),
  ] as const;

  const storeTriplet = ({ key, state: s, id }: NonNullable<DecisionWrite['triplet']>): number => {
    if (id !== undefined) {
      const updated = updateRetry.run(s.lastSeen, s.attempts, s.earlyAttempts, s.passedAt, s.passes, id, key.clientGroup, key.sender, key.recipient, s.firstSeen);
      if (updated.changes === 1) return id;
    }
    return upsertTriplet.get(key.clientGroup, key.sender, key.recipient, s.firstSeen, s.lastSeen, s.attempts, s.earlyAttempts, s.passedAt, s.passes) as number;
  };
  const commit = db.transaction((writes: readonly DecisionWrite[]) => {
    for (const { attempt: a, triplet, clientPasses: c, listHit } of writes) {
      const tripletId = triplet ? storeTriplet(triplet) : null;
      insertAttempt.run(
        a.at, a.clientAddress, a.clientName, a.helo, a.sender, a.recipient, a.queueId, a.action, a.reason, a.rule, a.delay,
        tripletId, triplet?.state.attempts ?? null,
      );
      if (c) upsertClient.run(c.client, c.passes, c.lastCountedAt, c.lastSeen);
      if (listHit) hit.run(listHit.at, listHit.entryId);
    }
  });
  const expire = db.transaction(({ now, settings, batch }: ExpiryLimits) => {
    const cutoffs = [now - settings.retryWindow - 86_400, now - settings.maxAge, now - settings.maxAge, now - settings.logRetention];
    return expiryStatements.reduce((total, statement, i) => total + statement.run(cutoffs[i], batch).changes, 0);
  });
  return {
    commit: (writes) => {
      if (writes.length > 0) commit(writes);
    },
    expire: (limits) => expire(limits),
    announce: (presence, running) => {
      if (running) announce.run({ ...presence, endpoints: JSON.stringify(presence.endpoints) });
      else withdraw.run(presence.host, presence.pid);
    },
  };
}
