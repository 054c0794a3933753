import { attemptIdAt, tripletRuleText } from './compact-log.js';
import type { SqliteDatabase } from './database.js';
import { StringCollector } from './string-collector.js';
import { StringTable } from './string-table.js';
import type { DecisionWrite, ExpiryLimits, FilterPresence, StringCollection } from './greylist-store.js';

/** The filter's writes: decisions in batches and expiry in slices. Runs wherever its connection lives. */
export interface DecisionWriter {
  commit(writes: readonly DecisionWrite[]): void;
  expire(limits: ExpiryLimits): number;
  /** One step of deleting the strings nothing names any more, when due (see StringCollector). */
  collectStrings(now: number): StringCollection;
  /** Records that this filter is alive (or, with seenAt null, that it has stopped). */
  announce(presence: FilterPresence, running: boolean): void;
}

interface KeyIds {
  sender: number;
  recipient: number;
  clientGroup: number;
}

export function prepareDecisionWriter(db: SqliteDatabase): DecisionWriter {
  const strings = new StringTable(db);
  const collector = new StringCollector(db, strings);
  // Positional parameters: the commit runs for every decision, and binding by name costs an object per row.
  const upsertTriplet = db
    .prepare(
      `INSERT INTO triplets (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sender, recipient, client_group) DO UPDATE SET
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
     WHERE id = ? AND sender = ? AND recipient = ? AND client_group = ? AND first_seen = ?`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
       attempt_number, client_group, key_sender, key_recipient)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
  ] as const;
  // The log is in time order: what is older than the cutoff is a run of the lowest ids.
  const expireAttempts = db.prepare('DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id < ? ORDER BY id LIMIT ?)');

  const storeTriplet = ({ state: s, id }: NonNullable<DecisionWrite['triplet']>, key: KeyIds): number => {
    if (id !== undefined) {
      const updated = updateRetry.run(s.lastSeen, s.attempts, s.earlyAttempts, s.passedAt, s.passes, id, key.sender, key.recipient, key.clientGroup, s.firstSeen);
      if (updated.changes === 1) return id;
    }
    return upsertTriplet.get(key.sender, key.recipient, key.clientGroup, s.firstSeen, s.lastSeen, s.attempts, s.earlyAttempts, s.passedAt, s.passes) as number;
  };
  const commit = db.transaction((writes: readonly DecisionWrite[]) => {
    for (const { attempt: a, triplet, clientPasses: c, listHit } of writes) {
      const sender = strings.intern(a.sender);
      const recipient = strings.intern(a.recipient);
      const key = triplet && { sender: strings.intern(triplet.key.sender), recipient: strings.intern(triplet.key.recipient), clientGroup: strings.intern(triplet.key.clientGroup) };
      const tripletId = triplet ? storeTriplet(triplet, key!) : null;
      // A triplet's rule is its key, which the row holds: no text for it.
      const ruleIsKey = key !== undefined && a.rule === tripletRuleText(triplet!.key.clientGroup, triplet!.key.sender, triplet!.key.recipient);
      insertAttempt.run(
        a.at, strings.intern(a.clientAddress), strings.intern(a.clientName), strings.intern(a.helo), sender, recipient, a.queueId,
        strings.intern(a.action), strings.intern(a.reason), ruleIsKey ? null : strings.intern(a.rule), a.delay,
        tripletId, triplet?.state.attempts ?? null,
        key ? key.clientGroup : null, key && key.sender !== sender ? key.sender : null, key && key.recipient !== recipient ? key.recipient : null,
      );
      if (c) upsertClient.run(c.client, c.passes, c.lastCountedAt, c.lastSeen);
      if (listHit) hit.run(listHit.at, listHit.entryId);
    }
  });
  const expire = db.transaction(({ now, settings, batch }: ExpiryLimits) => {
    const cutoffs = [now - settings.retryWindow - 86_400, now - settings.maxAge, now - settings.maxAge];
    const expired = expiryStatements.reduce((total, statement, i) => total + statement.run(cutoffs[i], batch).changes, 0);
    return expired + expireAttempts.run(attemptIdAt(db, now - settings.logRetention), batch).changes;
  });
  return {
    commit: (writes) => {
      if (writes.length === 0) return;
      try {
        // Immediate: the batch reads strings before it writes, and a read that turns into a write while
        // another process holds the lock fails at once instead of waiting for it.
        commit.immediate(writes);
      } catch (error) {
        // Strings numbered in the rolled-back transaction were never stored.
        strings.forget();
        throw error;
      }
    },
    expire: (limits) => expire.immediate(limits),
    collectStrings: (now) => db.transaction(() => collector.step(now)).immediate(),
    announce: (presence, running) => {
      if (running) announce.run({ ...presence, endpoints: JSON.stringify(presence.endpoints) });
      else withdraw.run(presence.host, presence.pid);
    },
  };
}
