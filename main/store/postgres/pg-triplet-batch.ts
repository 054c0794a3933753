import type { DecisionWrite, TripletState } from '../greylist-store.js';
import type { PgSql } from './pg-connection.js';

type TripletWrite = NonNullable<DecisionWrite['triplet']>;
export type KeyIds = [sender: number, recipient: number, clientGroup: number];
export interface KeyedWrite {
  /** The write's place in its batch. */
  index: number;
  triplet: TripletWrite;
  key: KeyIds;
}
export interface StoredTriplet {
  id: number;
  /** The triplet's attempts once this write is counted: the attempt's number. */
  attempts: number;
}

/** How a batch's writes of one triplet change the stored row. */
const enum Mode {
  /** Add what the attempts changed (retries). */
  Add = 0,
  /** A fresh start: replaces the row it judged expired (first seen `replaced`); a row another filter started meanwhile is added to. */
  Restart = 1,
  /** The state as given: a write that does not say what it was decided from. */
  Overwrite = 2,
}

interface Change {
  key: KeyIds;
  /** The last write's state: the row when no other filter wrote it meanwhile. */
  state: TripletState;
  mode: Mode;
  replaced: number;
  attempts: number;
  early: number;
  passes: number;
  indices: number[];
}

/** Rows per statement: each conflicting row looks its change up in the statement's list. */
const CHUNK = 250;

const sameKey = (a: KeyIds, b: KeyIds) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/**
 * One change per triplet: the writes of one triplet in a batch are its retries, each decided
 * from the one before, so their increments add up. A fresh start after the first write cannot be
 * merged (it needs the row the first one leaves): such a triplet is written write by write.
 */
function merge(writes: readonly KeyedWrite[]): { changes: Change[]; singly: KeyedWrite[] } {
  const changes: Change[] = [];
  const singly: KeyedWrite[] = [];
  for (let i = 0; i < writes.length; ) {
    let end = i + 1;
    while (end < writes.length && sameKey(writes[end]!.key, writes[i]!.key)) end++;
    const group = writes.slice(i, end);
    i = end;
    const [first, ...rest] = group;
    if (rest.some(({ triplet }) => triplet.state.attempts === 1 || !triplet.from)) {
      singly.push(...group);
      continue;
    }
    const { state, from } = first!.triplet;
    const change: Change = {
      key: first!.key,
      state,
      mode: state.attempts === 1 ? Mode.Restart : from ? Mode.Add : Mode.Overwrite,
      replaced: state.attempts === 1 ? (from?.firstSeen ?? -1) : -1,
      attempts: 1,
      early: from && state.attempts > 1 ? state.earlyAttempts - from.earlyAttempts : 0,
      passes: from && state.attempts > 1 ? state.passes - from.passes : 0,
      indices: [first!.index],
    };
    for (const { triplet, index } of rest) {
      change.state = triplet.state;
      change.attempts++;
      change.early += triplet.state.earlyAttempts - triplet.from!.earlyAttempts;
      change.passes += triplet.state.passes - triplet.from!.passes;
      change.indices.push(index);
    }
    changes.push(change);
  }
  return { changes, singly };
}

/** Writes merged changes in one statement a chunk, in key order (the order every filter locks rows in). */
async function storeChanges(tx: PgSql, changes: readonly Change[], into: Map<number, StoredTriplet>): Promise<void> {
  for (let start = 0; start < changes.length; start += CHUNK) {
    const chunk = changes.slice(start, start + CHUNK);
    const column = <T>(pick: (change: Change) => T) => chunk.map(pick) as never;
    const rows = await tx<Array<{ id: number; attempts: number; sender: number; recipient: number; client_group: number }>>`
      WITH input AS (
        SELECT * FROM unnest(${column((c) => c.key[0])}::bigint[], ${column((c) => c.key[1])}::bigint[], ${column((c) => c.key[2])}::bigint[],
          ${column((c) => c.state.firstSeen)}::bigint[], ${column((c) => c.state.lastSeen)}::bigint[], ${column((c) => c.state.attempts)}::int[],
          ${column((c) => c.state.earlyAttempts)}::int[], ${column((c) => c.state.passedAt)}::bigint[], ${column((c) => c.state.passes)}::int[],
          ${column((c) => c.mode)}::int[], ${column((c) => c.replaced)}::bigint[], ${column((c) => c.attempts)}::int[],
          ${column((c) => c.early)}::int[], ${column((c) => c.passes)}::int[])
        AS i (s, r, g, first_seen, last_seen, attempts, early_attempts, passed_at, passes, mode, replaced, add_attempts, add_early, add_passes)
      )
      INSERT INTO triplets AS t (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
      SELECT s, r, g, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM input ORDER BY s, r, g
      ON CONFLICT (sender, recipient, client_group) DO UPDATE SET
        (first_seen, attempts, early_attempts, passed_at, passes) = (
          SELECT
            CASE WHEN x.fresh THEN excluded.first_seen ELSE t.first_seen END,
            CASE WHEN x.fresh THEN excluded.attempts ELSE t.attempts + x.add_attempts END,
            CASE WHEN x.fresh THEN excluded.early_attempts ELSE t.early_attempts + x.add_early END,
            CASE WHEN x.fresh THEN excluded.passed_at ELSE COALESCE(t.passed_at, excluded.passed_at) END,
            CASE WHEN x.fresh THEN excluded.passes ELSE t.passes + x.add_passes END
          FROM (
            SELECT i.mode = ${Mode.Overwrite} OR (i.mode = ${Mode.Restart} AND t.first_seen = i.replaced) AS fresh, i.add_attempts, i.add_early, i.add_passes
            FROM input i WHERE i.s = excluded.sender AND i.r = excluded.recipient AND i.g = excluded.client_group
          ) x),
        last_seen = GREATEST(t.last_seen, excluded.last_seen),
        change = nextval('greyward_changes')
      RETURNING id, attempts, sender, recipient, client_group`;
    const byKey = new Map(rows.map((row) => [`${row.sender} ${row.recipient} ${row.client_group}`, row]));
    for (const change of chunk) {
      const row = byKey.get(change.key.join(' '))!;
      // Each write's attempt number: the last one has the row's count.
      change.indices.forEach((index, n) => into.set(index, { id: row.id, attempts: row.attempts - (change.indices.length - 1 - n) }));
    }
  }
}

/** A write on its own (see merge), with the same rules as a merged change of one write. */
async function storeSingly(tx: PgSql, { triplet, key }: KeyedWrite): Promise<StoredTriplet> {
  const into = new Map<number, StoredTriplet>();
  await storeChanges(tx, merge([{ index: 0, triplet, key }]).changes, into);
  return into.get(0)!;
}

/**
 * The batch's triplets, each changed by what its attempts changed, so that filters deciding on
 * one triplet at once lose no count. `writes` in key order, each key's writes in batch order.
 * Returns each write's row and attempt number, by its place in the batch.
 */
export async function storeTriplets(tx: PgSql, writes: readonly KeyedWrite[]): Promise<Map<number, StoredTriplet>> {
  const stored = new Map<number, StoredTriplet>();
  const { changes, singly } = merge(writes);
  await storeChanges(tx, changes, stored);
  for (const write of singly) stored.set(write.index, await storeSingly(tx, write));
  return stored;
}
