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
  const upsertTriplet = db.prepare(
    `INSERT INTO triplets (client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
     VALUES (@clientGroup, @sender, @recipient, @firstSeen, @lastSeen, @attempts, @earlyAttempts, @passedAt, @passes)
     ON CONFLICT (client_group, sender, recipient) DO UPDATE SET
       first_seen = excluded.first_seen, last_seen = excluded.last_seen, attempts = excluded.attempts,
       early_attempts = excluded.early_attempts, passed_at = excluded.passed_at, passes = excluded.passes
     RETURNING id`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number)
     VALUES (@at, @clientAddress, @clientName, @helo, @sender, @recipient, @queueId, @action, @reason, @rule, @delay, @tripletId, @attemptNumber)`,
  );
  const upsertClient = db.prepare(
    `INSERT INTO client_passes (client_group, passes, last_counted_at, last_seen)
     VALUES (@clientGroup, @passes, @lastCountedAt, @lastSeen)
     ON CONFLICT (client_group) DO UPDATE SET
       passes = excluded.passes, last_counted_at = excluded.last_counted_at, last_seen = excluded.last_seen`,
  );
  const announce = db.prepare(
    `INSERT INTO filter_presence (pid, host, endpoints, version, started_at, seen_at)
     VALUES (@pid, @host, @endpoints, @version, @startedAt, @seenAt)
     ON CONFLICT (host, pid) DO UPDATE SET endpoints = excluded.endpoints, seen_at = excluded.seen_at`,
  );
  const withdraw = db.prepare('DELETE FROM filter_presence WHERE host = ? AND pid = ?');
  const hit = db.prepare('UPDATE list_entries SET hits = hits + 1, last_hit_at = @at WHERE id = @entryId');
  const expiryStatements = [
    // Waiting triplets stay a day past their window so that the lost ones can still be seen.
    db.prepare('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE passed_at IS NULL AND first_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE last_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM client_passes WHERE client_group IN (SELECT client_group FROM client_passes WHERE last_seen < ? LIMIT ?)'),
    db.prepare('DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ? ORDER BY at LIMIT ?)'),
  ] as const;

  const commit = db.transaction((writes: readonly DecisionWrite[]) => {
    for (const write of writes) {
      let tripletId: number | null = null;
      if (write.triplet) tripletId = (upsertTriplet.get({ ...write.triplet.key, ...write.triplet.state }) as { id: number }).id;
      insertAttempt.run({ ...write.attempt, tripletId, attemptNumber: write.triplet?.state.attempts ?? null });
      if (write.clientPasses) upsertClient.run(write.clientPasses);
      if (write.listHit) hit.run(write.listHit);
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
