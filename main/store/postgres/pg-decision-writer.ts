import { tripletRuleText } from '../compact-log.js';
import type { DecisionWrite, ExpiryLimits } from '../greylist-store.js';
import type { PgSql } from './pg-connection.js';
import type { PgStringTable } from './pg-strings.js';

type Tx = PgSql;
type Write = DecisionWrite;
type TripletWrite = NonNullable<Write['triplet']>;

/** How often a batch that PostgreSQL aborted to break a deadlock is tried again. */
const DEADLOCK_RETRIES = 3;

function textsOf(writes: readonly Write[], filter: string): Set<string> {
  const texts = new Set<string>([filter]);
  for (const { attempt: a, triplet } of writes) {
    for (const text of [a.clientAddress, a.clientName, a.helo, a.sender, a.recipient, a.action, a.reason]) texts.add(text);
    if (triplet) for (const text of [triplet.key.clientGroup, triplet.key.sender, triplet.key.recipient]) texts.add(text);
    if (!triplet || a.rule !== tripletRuleText(triplet.key.clientGroup, triplet.key.sender, triplet.key.recipient)) texts.add(a.rule);
  }
  return texts;
}

/**
 * A triplet as this attempt changed it. Another filter may have written the row since it was
 * read, so a retry adds what it changed to the stored counts instead of overwriting them, and a
 * fresh start replaces only the row it judged expired: a row another filter started meanwhile
 * is counted into. Returns the row's id and its attempt count.
 */
async function storeTriplet(tx: Tx, { state: s, from }: TripletWrite, key: [number, number, number]): Promise<{ id: number; attempts: number }> {
  const [sender, recipient, clientGroup] = key;
  if (s.attempts === 1 || !from) {
    const replaced = s.attempts === 1 ? (from?.firstSeen ?? -1) : null;
    const [row] = await tx<[{ id: number; attempts: number }]>`
      INSERT INTO triplets (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
      VALUES (${sender}, ${recipient}, ${clientGroup}, ${s.firstSeen}, ${s.lastSeen}, ${s.attempts}, ${s.earlyAttempts}, ${s.passedAt}, ${s.passes})
      ON CONFLICT (sender, recipient, client_group) DO UPDATE SET
        first_seen = CASE WHEN ${replaced}::bigint IS NULL OR triplets.first_seen = ${replaced}::bigint THEN excluded.first_seen ELSE triplets.first_seen END,
        attempts = CASE WHEN ${replaced}::bigint IS NULL OR triplets.first_seen = ${replaced}::bigint THEN excluded.attempts ELSE triplets.attempts + 1 END,
        early_attempts = CASE WHEN ${replaced}::bigint IS NULL OR triplets.first_seen = ${replaced}::bigint THEN excluded.early_attempts ELSE triplets.early_attempts END,
        passed_at = CASE WHEN ${replaced}::bigint IS NULL OR triplets.first_seen = ${replaced}::bigint THEN excluded.passed_at ELSE triplets.passed_at END,
        passes = CASE WHEN ${replaced}::bigint IS NULL OR triplets.first_seen = ${replaced}::bigint THEN excluded.passes ELSE triplets.passes END,
        last_seen = GREATEST(triplets.last_seen, excluded.last_seen),
        change = nextval('greyward_changes')
      RETURNING id, attempts`;
    return row;
  }
  const early = s.earlyAttempts - from.earlyAttempts;
  const passes = s.passes - from.passes;
  const [row] = await tx<[{ id: number; attempts: number }]>`
    INSERT INTO triplets (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
    VALUES (${sender}, ${recipient}, ${clientGroup}, ${s.firstSeen}, ${s.lastSeen}, ${s.attempts}, ${s.earlyAttempts}, ${s.passedAt}, ${s.passes})
    ON CONFLICT (sender, recipient, client_group) DO UPDATE SET
      last_seen = GREATEST(triplets.last_seen, excluded.last_seen),
      attempts = triplets.attempts + 1,
      early_attempts = triplets.early_attempts + ${early},
      passes = triplets.passes + ${passes},
      passed_at = COALESCE(triplets.passed_at, excluded.passed_at),
      change = nextval('greyward_changes')
    RETURNING id, attempts`;
  return row;
}

const HOUR = 3600;

/** A client's record: a first pass counts once an hour across all filters, checked against the stored row. */
async function storeClientPasses(tx: Tx, write: Write): Promise<void> {
  const c = write.clientPasses!;
  const counted = c.passes - (write.clientPassesFrom?.passes ?? 0);
  await tx`
    INSERT INTO client_passes (client, passes, last_counted_at, last_seen)
    VALUES (${c.client}, ${c.passes}, ${c.lastCountedAt}, ${c.lastSeen})
    ON CONFLICT (client) DO UPDATE SET
      passes = client_passes.passes + CASE WHEN ${counted}::int > 0 AND excluded.last_counted_at - client_passes.last_counted_at >= ${HOUR} THEN 1 ELSE 0 END,
      last_counted_at = CASE WHEN ${counted}::int > 0 AND excluded.last_counted_at - client_passes.last_counted_at >= ${HOUR}
        THEN excluded.last_counted_at ELSE client_passes.last_counted_at END,
      last_seen = GREATEST(client_passes.last_seen, excluded.last_seen)`;
}

const compareKeys = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

async function commitOnce(sql: PgSql, strings: PgStringTable, filter: string, writes: readonly Write[]): Promise<void> {
  let ids: Map<string, number> | undefined;
  await sql.begin(async (tx) => {
    ids = await strings.idsWithin(tx as unknown as Tx, textsOf(writes, filter));
    const id = (text: string) => ids!.get(text)!;
    // Rows are locked in key order, as every filter locks them: two batches never wait for each other in a circle.
    const keyed = writes
      .map((write, index) => ({ index, write, key: write.triplet ? ([id(write.triplet.key.sender), id(write.triplet.key.recipient), id(write.triplet.key.clientGroup)] as [number, number, number]) : undefined }))
      .filter((entry) => entry.key !== undefined)
      .sort((a, b) => compareKeys(a.key!, b.key!) || a.index - b.index);
    // Sent together (pipelined), run in the order sent.
    const stored = await Promise.all(keyed.map((entry) => storeTriplet(tx as unknown as Tx, entry.write.triplet!, entry.key!)));
    const rows = new Map(keyed.map((entry, i) => [entry.index, stored[i]!]));
    const clients = writes.filter((write) => write.clientPasses).sort((a, b) => (a.clientPasses!.client < b.clientPasses!.client ? -1 : 1));
    await Promise.all(clients.map((write) => storeClientPasses(tx as unknown as Tx, write)));
    const columns: Array<Array<number | string | null>> = Array.from({ length: 17 }, () => []);
    writes.forEach(({ attempt: a, triplet }, index) => {
      const key = triplet?.key;
      const ruleIsKey = key !== undefined && a.rule === tripletRuleText(key.clientGroup, key.sender, key.recipient);
      const row = rows.get(index);
      const values = [
        a.at, id(a.clientAddress), id(a.clientName), id(a.helo), id(a.sender), id(a.recipient), a.queueId, id(a.action), id(a.reason),
        ruleIsKey ? null : id(a.rule), a.delay, row?.id ?? null, row?.attempts ?? null,
        key ? id(key.clientGroup) : null, key && key.sender !== a.sender ? id(key.sender) : null, key && key.recipient !== a.recipient ? id(key.recipient) : null,
        id(filter),
      ];
      values.forEach((value, column) => columns[column]!.push(value));
    });
    const c = (column: number) => columns[column]!;
    await tx`
      INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
        attempt_number, client_group, key_sender, key_recipient, filter)
      SELECT * FROM unnest(${c(0)}::bigint[], ${c(1)}::bigint[], ${c(2)}::bigint[], ${c(3)}::bigint[], ${c(4)}::bigint[], ${c(5)}::bigint[],
        ${c(6)}::text[], ${c(7)}::bigint[], ${c(8)}::bigint[], ${c(9)}::bigint[], ${c(10)}::int[], ${c(11)}::bigint[], ${c(12)}::int[],
        ${c(13)}::bigint[], ${c(14)}::bigint[], ${c(15)}::bigint[], ${c(16)}::bigint[])`;
    const hits = new Map<number, { count: number; at: number }>();
    for (const { listHit } of writes) {
      if (!listHit) continue;
      const hit = hits.get(listHit.entryId);
      hits.set(listHit.entryId, { count: (hit?.count ?? 0) + 1, at: Math.max(hit?.at ?? 0, listHit.at) });
    }
    for (const [entry, { count, at }] of [...hits].sort((a, b) => a[0] - b[0])) {
      await tx`UPDATE list_entries SET hits = hits + ${count}, last_hit_at = GREATEST(coalesce(last_hit_at, 0), ${at}) WHERE id = ${entry}`;
    }
  });
  if (ids) strings.remember(ids);
}

/** Writes a batch of decisions in one transaction, all or nothing. */
export async function commitDecisions(sql: PgSql, strings: PgStringTable, filter: string, writes: readonly Write[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await commitOnce(sql, strings, filter, writes);
      return;
    } catch (error) {
      // Expiry and the other filters' batches can still meet this one in a lock cycle; PostgreSQL aborts one of them.
      const code = (error as { code?: string }).code;
      if ((code !== '40P01' && code !== '40001') || attempt >= DEADLOCK_RETRIES) throw error;
    }
  }
}

/**
 * Deletes at most `batch` expired rows of each kind. Rows another transaction holds are skipped
 * (the next run takes them), so that expiry never waits for the filters' batches.
 */
export async function expireRows(sql: PgSql, { now, settings, batch }: ExpiryLimits): Promise<number> {
  const waitingCutoff = now - settings.retryWindow - 86_400;
  const seenCutoff = now - settings.maxAge;
  const logCutoff = now - settings.logRetention;
  const counts = await Promise.all([
    sql`DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE passed_at IS NULL AND first_seen < ${waitingCutoff} LIMIT ${batch} FOR UPDATE SKIP LOCKED)`,
    sql`DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE last_seen < ${seenCutoff} LIMIT ${batch} FOR UPDATE SKIP LOCKED)`,
    sql`DELETE FROM client_passes WHERE client IN (SELECT client FROM client_passes WHERE last_seen < ${seenCutoff} LIMIT ${batch} FOR UPDATE SKIP LOCKED)`,
    sql`DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ${logCutoff} ORDER BY at LIMIT ${batch} FOR UPDATE SKIP LOCKED)`,
    // What a workstation's copy needs to hear of deletions: a day of them (a copy is made afresh when it opens).
    sql`DELETE FROM deleted_triplets WHERE at < ${now - 86_400}`.then(() => ({ count: 0 })),
  ]);
  return counts.reduce((total, result) => total + result.count, 0);
}

