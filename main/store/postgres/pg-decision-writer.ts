import { tripletRuleText } from '../compact-log.js';
import type { DecisionWrite, ExpiryLimits } from '../greylist-store.js';
import type { PgSql } from './pg-connection.js';
import type { PgStringTable } from './pg-strings.js';
import { storeTriplets, type KeyedWrite, type KeyIds } from './pg-triplet-batch.js';

type Tx = PgSql;
type Write = DecisionWrite;

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
      last_seen = GREATEST(client_passes.last_seen, excluded.last_seen),
      change = nextval('greyward_changes')`;
}

const compareKeys = (a: KeyIds, b: KeyIds) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

async function commitOnce(sql: PgSql, strings: PgStringTable, filter: string, writes: readonly Write[]): Promise<void> {
  let ids: Map<string, number> | undefined;
  await sql.begin(async (tx) => {
    ids = await strings.idsWithin(tx as unknown as Tx, textsOf(writes, filter));
    const id = (text: string) => ids!.get(text)!;
    // Rows are locked in key order, as every filter locks them: two batches never wait for each other in a circle.
    const keyed: KeyedWrite[] = [];
    writes.forEach(({ triplet }, index) => {
      if (triplet) keyed.push({ index, triplet, key: [id(triplet.key.sender), id(triplet.key.recipient), id(triplet.key.clientGroup)] });
    });
    keyed.sort((a, b) => compareKeys(a.key, b.key) || a.index - b.index);
    const rows = await storeTriplets(tx as unknown as Tx, keyed);
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

