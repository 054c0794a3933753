import type { PgSql } from './pg-connection.js';

/** Texts remembered at most; past this the cache starts again (a few MB). */
const CACHE_LIMIT = 50_000;

type Tx = PgSql;

/**
 * The ids of texts in `strings`, stored on first use. Ids handed out inside a transaction are
 * remembered only once it committed: a rolled-back one never stored them. Several filters store
 * the same new text at once: the insert skips what another committed, and a second read finds it.
 */
export class PgStringTable {
  private readonly cache = new Map<string, number>();

  /** `cacheLimit`: texts remembered at most (a copy of a whole greylist remembers more). */
  constructor(private readonly cacheLimit = CACHE_LIMIT) {}

  /** The ids of `texts` within `tx`; call `remember` with the result once the transaction committed. */
  async idsWithin(tx: Tx, texts: Iterable<string>): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const missing: string[] = [];
    for (const text of texts) {
      if (ids.has(text)) continue;
      const id = this.cache.get(text);
      if (id !== undefined) ids.set(text, id);
      else {
        ids.set(text, -1);
        missing.push(text);
      }
    }
    if (missing.length === 0) return ids;
    // In text order, so that two filters inserting the same new texts take their locks in one order.
    missing.sort();
    // The texts already stored are read through the unique index (= ANY): a join with the list
    // would scan the whole table once it is large.
    const stored = await tx<Array<{ id: number; text: string }>>`
      WITH added AS (INSERT INTO strings (text) SELECT unnest(${missing}::text[]) ORDER BY 1 ON CONFLICT (text) DO NOTHING RETURNING id, text)
      SELECT id, text FROM added UNION ALL SELECT id, text FROM strings WHERE text = ANY(${missing}::text[])`;
    for (const { id, text } of stored) ids.set(text, id);
    const unseen = missing.filter((text) => ids.get(text) === -1);
    if (unseen.length > 0) {
      // Committed by another filter after this statement began: a new statement sees it.
      for (const { id, text } of await tx<Array<{ id: number; text: string }>>`SELECT id, text FROM strings WHERE text = ANY(${unseen}::text[])`) ids.set(text, id);
    }
    return ids;
  }

  remember(ids: Map<string, number>): void {
    if (this.cache.size + ids.size > this.cacheLimit) this.cache.clear();
    for (const [text, id] of ids) if (id >= 0) this.cache.set(text, id);
  }
}
