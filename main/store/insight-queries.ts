import { attemptIdAt, stringIds } from './compact-log.js';
import type { SqliteDatabase } from './database.js';

/** Reads behind the insight features (mail at risk, retry behaviour, impact preview); none is on the filter's path. */

export interface WaitingTripletRow {
  id: number;
  clientGroup: string;
  sender: string;
  recipient: string;
  firstSeen: number;
  lastSeen: number;
  attempts: number;
  earlyAttempts: number;
}

export interface WaitingAttemptRow {
  tripletId: number;
  at: number;
  clientAddress: string;
  clientName: string;
  /** The envelope sender as the client gave it (the triplet holds the normalised one). */
  sender: string;
  recipient: string;
  action: string;
  reason: string;
  /** In a copy of a shared database: the filter that decided. */
  filter?: string;
}

export interface PassedTripletRow {
  sender: string;
  recipient: string;
  clientGroup: string;
  lastSeen: number;
}

export interface TripletKeyRow {
  id: number;
  clientGroup: string;
  sender: string;
  recipient: string;
  firstSeen: number;
  passedAt: number | null;
}

/** What an attempt was to its triplet, for a replay: kinds are small integers so a scan allocates no strings. */
export const REPLAY_KIND = { firstContact: 0, retry: 1, passed: 2, known: 3 } as const;

/** A slice of the attempt log in log order; the arrays are reused from one chunk to the next. */
export interface ReplayChunk {
  length: number;
  tripletIds: Int32Array;
  at: Float64Array;
  kinds: Uint8Array;
}

export interface AttemptScan {
  /** Bounds per-triplet arrays of the consumer. */
  maxTripletId: number;
  chunks(): Generator<ReplayChunk>;
}

const CHUNK_IDS = 65_536;
const REASON_KINDS: Record<string, number> = {
  early: REPLAY_KIND.retry,
  passed: REPLAY_KIND.passed,
  known: REPLAY_KIND.known,
  new: REPLAY_KIND.firstContact,
  'window-expired': REPLAY_KIND.firstContact,
  'max-age-expired': REPLAY_KIND.firstContact,
};

/** A CASE over reason ids giving each reason's kind, `otherwise` for the rest. */
export function reasonKindSql(db: SqliteDatabase, kinds: Record<string, number>, otherwise: number): string {
  const ids = stringIds(db, Object.keys(kinds));
  const whens = [...ids].map(([reason, id]) => `WHEN ${id} THEN ${kinds[reason]}`).join(' ');
  return whens ? `CASE reason ${whens} ELSE ${otherwise} END` : `${otherwise}`;
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

export class InsightQueries {
  constructor(private readonly db: SqliteDatabase) {}

  /** Triplets that have not passed, first seen since `since` (their window is open or closed recently). */
  waitingTriplets(since: number): WaitingTripletRow[] {
    return this.db
      .prepare(
        `SELECT id, client_group AS clientGroup, sender, recipient, first_seen AS firstSeen, last_seen AS lastSeen, attempts,
                early_attempts AS earlyAttempts
         FROM triplet_view WHERE passed_at IS NULL AND first_seen >= ?`,
      )
      .all(since) as WaitingTripletRow[];
  }

  /** The attempts of those triplets' current round (a triplet that started over keeps its old attempts too). */
  waitingAttempts(since: number): WaitingAttemptRow[] {
    return this.db
      .prepare(
        `SELECT a.triplet_id AS tripletId, a.at, a.client_address AS clientAddress, a.client_name AS clientName, a.sender,
                a.recipient, a.action, a.reason
         FROM triplets t JOIN attempt_view a ON a.triplet_id = t.id AND a.at >= t.first_seen
         WHERE t.passed_at IS NULL AND t.first_seen >= ?
         ORDER BY a.triplet_id, a.id`,
      )
      .all(since) as WaitingAttemptRow[];
  }

  /** Passed triplets used since `since` (through the last_seen index; the caller picks the mails it wants). */
  passedSince(since: number): PassedTripletRow[] {
    return this.db
      .prepare('SELECT sender, recipient, client_group AS clientGroup, last_seen AS lastSeen FROM triplet_view WHERE last_seen >= ? AND passed_at IS NOT NULL')
      .all(since) as PassedTripletRow[];
  }

  /**
   * How many client networks each of `domains` has passed from, its direct subdomains counted
   * with it (news.example.com for example.com). One scan of the triplets: no index on senders.
   */
  passedNetworkCounts(domains: readonly string[]): Array<{ domain: string; networks: number }> {
    if (domains.length === 0) return [];
    // The senders are found among the distinct strings, then their triplets through the key's index.
    return this.db
      .prepare(
        `SELECT CASE WHEN d IN (SELECT value FROM json_each(@set)) THEN d ELSE substr(d, instr(d, '.') + 1) END AS domain,
                count(DISTINCT t.client_group) AS networks
         FROM (SELECT id, substr(text, instr(text, '@') + 1) AS d FROM strings WHERE text LIKE '%@%') s
         JOIN triplets t ON t.sender = s.id AND t.passed_at IS NOT NULL
         WHERE d IN (SELECT value FROM json_each(@set)) OR substr(d, instr(d, '.') + 1) IN (SELECT value FROM json_each(@set))
         GROUP BY 1`,
      )
      .all({ set: JSON.stringify(domains) }) as Array<{ domain: string; networks: number }>;
  }

  tripletsByIds(ids: readonly number[]): TripletKeyRow[] {
    return this.db
      .prepare(
        `SELECT id, client_group AS clientGroup, sender, recipient, first_seen AS firstSeen, passed_at AS passedAt
         FROM triplet_view WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      )
      .all(JSON.stringify(ids)) as TripletKeyRow[];
  }

  /**
   * The attempt log in log order (which is time order: the filter appends), as packed integers:
   * one number per row instead of one array per row keeps a million-row scan at a few hundred ms.
   */
  scanAttempts(options: { since?: number; senderDomain?: string; /** Rows as arrays even where they would pack (for tests). */ unpacked?: boolean } = {}): AttemptScan {
    // One aggregate per query: SQLite answers a lone min() or max() from an index, several at once by a full scan.
    const one = (sql: string) => this.db.prepare(sql).pluck().get() as number | null;
    const bounds = {
      lastId: one('SELECT max(id) FROM attempts'),
      maxTripletId: one('SELECT max(triplet_id) FROM attempts'),
      // The log is in time order: its first and last rows hold its earliest and latest times.
      minAt: one('SELECT at FROM attempts ORDER BY id LIMIT 1'),
      maxAt: one('SELECT at FROM attempts ORDER BY id DESC LIMIT 1'),
    };
    const maxTripletId = bounds.maxTripletId ?? 0;
    const since = options.since ?? bounds.minAt ?? 0;
    const base = Math.max(since, bounds.minAt ?? 0);
    const firstId = options.since === undefined ? 0 : attemptIdAt(this.db, since) - 1;
    const tripletSpan = 2 ** Math.ceil(Math.log2(maxTripletId + 2));
    const packable = !options.unpacked && ((bounds.maxAt ?? 0) - base + 1) * tripletSpan * 4 < Number.MAX_SAFE_INTEGER;
    const domainFilter = options.senderDomain
      ? `AND triplet_id IN (SELECT t.id FROM strings s JOIN triplets t ON t.sender = s.id WHERE s.text LIKE @atDomain ESCAPE '\\' OR s.text LIKE @subDomain ESCAPE '\\')`
      : '';
    const where = `WHERE id > @from AND id <= @to AND triplet_id IS NOT NULL AND at >= @since ${domainFilter}`;
    const KIND_SQL = reasonKindSql(this.db, REASON_KINDS, REPLAY_KIND.retry);
    const statement = packable
      ? this.db.prepare(`SELECT ((at - @base) * @span + triplet_id) * 4 + ${KIND_SQL} FROM attempts ${where} ORDER BY id`).pluck()
      : this.db.prepare(`SELECT triplet_id, at, ${KIND_SQL} FROM attempts ${where} ORDER BY id`).raw();
    const params = {
      since,
      base,
      span: tripletSpan,
      ...(options.senderDomain ? { atDomain: `%@${likeEscape(options.senderDomain)}`, subDomain: `%.${likeEscape(options.senderDomain)}` } : {}),
    };
    const lastId = bounds.lastId ?? 0;
    return {
      maxTripletId,
      *chunks() {
        const chunk: ReplayChunk = { length: 0, tripletIds: new Int32Array(CHUNK_IDS), at: new Float64Array(CHUNK_IDS), kinds: new Uint8Array(CHUNK_IDS) };
        for (let from = Math.max(0, firstId); from < lastId; from += CHUNK_IDS) {
          const rows = statement.all({ ...params, from, to: from + CHUNK_IDS }) as unknown[];
          chunk.length = rows.length;
          for (let i = 0; i < rows.length; i++) {
            if (packable) {
              const packed = rows[i] as number;
              const kind = packed % 4;
              const rest = (packed - kind) / 4;
              const tripletId = rest % tripletSpan;
              chunk.kinds[i] = kind;
              chunk.tripletIds[i] = tripletId;
              chunk.at[i] = base + (rest - tripletId) / tripletSpan;
            } else {
              const row = rows[i] as [number, number, number];
              chunk.tripletIds[i] = row[0];
              chunk.at[i] = row[1];
              chunk.kinds[i] = row[2];
            }
          }
          if (rows.length > 0) yield chunk;
        }
      },
    };
  }
}
