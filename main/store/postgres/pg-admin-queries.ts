import { CHART_RANGES, SEARCH_COUNT_LIMIT, type Attempt, type ChartRange, type MailPassed, type SharedFilter, type Triplet } from '../../../shared/contract.js';
import { networkContains, parseIp } from '../../../shared/net.js';
import { networkOf, networkTextPrefix } from '../admin-queries.js';
import { deferralOutcomes, SORT_COLUMNS, tripletWithState, type AdminReads, type Timing, type TripletPageQuery } from '../admin-reads.js';
import type { PgSql } from './pg-connection.js';

const ATTEMPT_COLUMNS = `id, at, client_address AS "clientAddress", client_name AS "clientName", helo, sender, recipient,
  queue_id AS "queueId", action, reason, rule, delay, triplet_id AS "tripletId", attempt_number AS "attemptNumber", filter`;

const TRIPLET_COLUMNS = `id, client_group AS "clientGroup", sender, recipient, first_seen AS "firstSeen", last_seen AS "lastSeen", attempts,
  early_attempts AS "earlyAttempts", passed_at AS "passedAt"`;


/** How long an id below the newest one seen may still turn up: another filter's batch committed late. */
const LATE_SECONDS = 10;

/** A heartbeat every 5 s; three missed and a filter is silent. */
const SILENT_AFTER_SECONDS = 15;

type Row = Record<string, unknown>;
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * The administration's reads on a shared PostgreSQL database. Several filters append to the log
 * at once, so ids are handed out in one order and committed in another: the live tail keeps the
 * ids it skipped and looks for them again for a few seconds.
 */
export class PgAdminQueries implements AdminReads {
  /** Ids skipped over by the tail, with when they were first missed. */
  private readonly holes = new Map<number, number>();
  private tailed = 0;

  constructor(private readonly sql: PgSql) {}

  private attempts(where: string, params: unknown[], order = 'id', limit?: number): Promise<Attempt[]> {
    const limited = limit === undefined ? '' : ` LIMIT ${Math.floor(limit)}`;
    return this.sql.unsafe(`SELECT ${ATTEMPT_COLUMNS} FROM attempt_view WHERE ${where} ORDER BY ${order}${limited}`, params as never[]) as unknown as Promise<Attempt[]>;
  }

  private async stringIds(texts: readonly string[]): Promise<number[]> {
    const rows = await this.sql<Array<{ id: number }>>`SELECT id FROM strings WHERE text = ANY(${[...texts]}::text[])`;
    return rows.map((row) => row.id);
  }

  async listsFingerprint(): Promise<string> {
    const [row] = await this.sql<[{ fingerprint: string }]>`
      SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(expires_at), 0) || ':' || coalesce(sum(length(pattern)), 0) AS fingerprint FROM list_entries`;
    return row.fingerprint;
  }

  async lastAttemptId(): Promise<number> {
    const [row] = await this.sql<[{ id: number }]>`SELECT coalesce(max(id), 0) AS id FROM attempts`;
    this.tailed = Math.max(this.tailed, row.id);
    return row.id;
  }

  async attemptsAfter(afterId: number, limit: number): Promise<Attempt[]> {
    const now = Date.now() / 1000;
    for (const [id, missedAt] of this.holes) if (now - missedAt > LATE_SECONDS) this.holes.delete(id);
    const late = this.holes.size > 0 ? await this.attempts('id = ANY($1::bigint[])', [[...this.holes.keys()]]) : [];
    for (const row of late) this.holes.delete(row.id);
    const rows = await this.attempts('id > $1', [afterId], 'id', limit);
    let expected = Math.max(afterId, this.tailed) + 1;
    for (const row of rows) {
      for (let id = expected; id < row.id && this.holes.size < 10_000; id++) this.holes.set(id, now);
      expected = Math.max(expected, row.id + 1);
    }
    this.tailed = Math.max(this.tailed, expected - 1);
    // Late ones first: the caller goes on from the newest id it was given.
    return [...late, ...rows];
  }

  async recentAttempts(limit: number, actions?: readonly string[]): Promise<Attempt[]> {
    const rows = actions?.length
      ? await this.attempts('action = ANY($1::text[])', [[...actions]], 'id DESC', limit)
      : await this.attempts('true', [], 'id DESC', limit);
    return rows.reverse();
  }

  /** The newest deferrals, and how the mail of each got through since (see deferralOutcomes). */
  async deferralsWithOutcomes(limit: number): Promise<{ deferrals: Attempt[]; passed: MailPassed[] }> {
    const deferrals = await this.recentAttempts(limit, ['defer']);
    if (deferrals.length === 0) return { deferrals, passed: [] };
    const tripletIds = [...new Set(deferrals.map((d) => d.tripletId).filter((id): id is number => id !== null))];
    const passedTriplets = await this.sql<Array<{ id: number; at: number; by_retry: boolean }>>`
      SELECT t.id, t.passed_at AS at,
        EXISTS (SELECT 1 FROM attempts a WHERE a.triplet_id = t.id AND a.reason = (SELECT id FROM strings WHERE text = 'passed') AND a.at = t.passed_at) AS by_retry
      FROM triplets t WHERE t.id = ANY(${tripletIds}::bigint[]) AND t.passed_at IS NOT NULL`;
    const tripletPasses = new Map(passedTriplets.map((row) => [row.id, { at: row.at, byRetry: row.by_retry }]));
    const allowed = await this.sql<Array<{ id: number; at: number; sender: string; recipient: string }>>`
      SELECT id, at, sender, recipient FROM attempt_view WHERE id > ${deferrals[0]!.id} AND action = 'allow' ORDER BY id`;
    return { deferrals, passed: deferralOutcomes(deferrals, tripletPasses, allowed) };
  }

  /** Ids of the strings containing `term`, any case. */
  private async stringsContaining(term: string): Promise<number[]> {
    const rows = await this.sql<Array<{ id: number }>>`SELECT id FROM strings WHERE text ILIKE ${`%${likeEscaped(term)}%`}`;
    return rows.map((row) => row.id);
  }

  /** As AdminQueries.searchAttempts: a client address or network, a sender (`<>`), a recipient or a queue id. */
  async searchAttempts(query: string, limit: number): Promise<Attempt[]> {
    const q = query.trim();
    if (!q) return [];
    const byIds = (where: string, ids: number[]) => this.attempts(where, [ids], 'id DESC', limit);
    if (q === '<>') return byIds('sender_id = ANY($1::bigint[])', await this.stringIds(['']));
    const network = q.includes('/') ? networkOf(q) : undefined;
    if (network) {
      const candidates = await this.sql<Array<{ id: number; text: string }>>`SELECT id, text FROM strings WHERE text LIKE ${networkTextPrefix(network)}`;
      return byIds('client_address_id = ANY($1::bigint[])', candidates.filter((row) => networkContains(network, row.text)).map((row) => row.id));
    }
    const ip = parseIp(q);
    const matching = await this.stringsContaining(q);
    const addresses = await this.stringIds([q, ip?.address ?? q]);
    return this.attempts(
      `client_address_id = ANY($1::bigint[]) OR queue_id = $2 OR sender_id = ANY($3::bigint[]) OR recipient_id = ANY($3::bigint[]) OR client_name_id = ANY($3::bigint[])`,
      [addresses, q, matching],
      'id DESC',
      limit,
    );
  }

  attemptsOfTriplet(tripletId: number): Promise<Attempt[]> {
    return this.attempts('triplet_id = $1', [tripletId]);
  }

  async triplet(id: number, now: number, timing: Timing): Promise<Triplet | null> {
    const [row] = await this.sql.unsafe(`SELECT ${TRIPLET_COLUMNS} FROM triplet_view WHERE id = $1`, [id]);
    return row ? tripletWithState(row as unknown as Triplet, now, timing) : null;
  }

  async tripletPage(query: TripletPageQuery, now: number, timing: Timing): Promise<{ rows: Triplet[]; total: number; capped: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [now - timing.retryWindow, now - timing.maxAge];
    const searching = !!query.search?.trim();
    if (searching) {
      params.push(await this.stringsContaining(query.search!.trim()));
      where.push('(sender_id = ANY($3::bigint[]) OR recipient_id = ANY($3::bigint[]) OR client_group_id = ANY($3::bigint[]))');
    }
    if (query.state === 'waiting') where.push('passed_at IS NULL AND first_seen >= $1');
    if (query.state === 'passed') where.push('passed_at IS NOT NULL AND last_seen >= $2');
    if (query.state === 'expired') where.push('((passed_at IS NULL AND first_seen < $1) OR (passed_at IS NOT NULL AND last_seen < $2))');
    // $1 and $2 are named in every statement, so that their types are known.
    const clause = `WHERE $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL${where.length ? ` AND ${where.join(' AND ')}` : ''}`;
    const direction = query.descending ? 'DESC' : 'ASC';
    const rows = (await this.sql.unsafe(
      `SELECT ${TRIPLET_COLUMNS} FROM triplet_view ${clause} ORDER BY ${SORT_COLUMNS[query.sort]} ${direction}, id ${direction}
       LIMIT ${Math.floor(query.limit)} OFFSET ${Math.floor(query.offset)}`,
      params as never[],
    )) as unknown as Triplet[];
    const countLimit = searching ? ` LIMIT ${SEARCH_COUNT_LIMIT + 1}` : '';
    const [{ n }] = (await this.sql.unsafe(`SELECT count(*) AS n FROM (SELECT 1 FROM triplet_view ${clause}${countLimit}) counted`, params as never[])) as unknown as [
      { n: number },
    ];
    const capped = searching && n > SEARCH_COUNT_LIMIT;
    return { rows: rows.map((row) => tripletWithState(row, now, timing)), total: capped ? SEARCH_COUNT_LIMIT : n, capped };
  }

  async passTripletsNow(ids: readonly number[], now: number): Promise<number> {
    return this.editTriplets(
      (tx) => tx`UPDATE triplets SET passed_at = ${now}, last_seen = GREATEST(last_seen, ${now}), change = nextval('greyward_changes')
        WHERE id = ANY(${[...ids]}::bigint[]) AND passed_at IS NULL`,
    );
  }

  deleteTriplets(ids: readonly number[]): Promise<number> {
    return this.editTriplets((tx) => tx`DELETE FROM triplets WHERE id = ANY(${[...ids]}::bigint[])`);
  }

  /** Edits triplets and counts the edit, so that models built from the log (At risk) are built again. */
  private async editTriplets(edit: (tx: PgSql) => Promise<{ count: number }>): Promise<number> {
    return (await this.sql.begin(async (tx) => {
      const { count } = await edit(tx as unknown as PgSql);
      if (count > 0) await (tx as unknown as PgSql)`UPDATE meta SET value = value + 1 WHERE key = 'triplet_edits'`;
      return count;
    })) as number;
  }

  async overview(now: number, startOfDay: number, range?: ChartRange) {
    const today = { defer: 0, pass: 0, allow: 0, reject: 0 };
    const counts = await this.sql<Array<{ action: string; n: number }>>`
      SELECT (SELECT text FROM strings WHERE id = action) AS action, count(*) AS n FROM attempts WHERE at >= ${startOfDay} GROUP BY action`;
    for (const row of counts) if (row.action in today) today[row.action as keyof typeof today] = row.n;
    const topDeferred = await this.sql<Array<{ sender: string; deferrals: number; lastAt: number }>>`
      SELECT (SELECT text FROM strings WHERE id = sender) AS sender, deferrals, "lastAt" FROM (
        SELECT sender, count(*) AS deferrals, max(at) AS "lastAt" FROM attempts
        WHERE at >= ${now - 86_400} AND action = (SELECT id FROM strings WHERE text = 'defer') GROUP BY sender ORDER BY deferrals DESC, "lastAt" DESC LIMIT 10) top`;
    return { today, chart: await this.decisionChart(now, range), topDeferred: [...topDeferred] };
  }

  private async decisionChart(now: number, asked: ChartRange | undefined) {
    const [first] = await this.sql<Array<{ at: number }>>`SELECT min(at) AS at FROM attempts`;
    const firstAt = first?.at ?? null;
    const range: ChartRange = asked ?? (firstAt !== null && now - firstAt <= 2 * 3600 ? '1h' : '24h');
    const { seconds, bucketSeconds } = CHART_RANGES[range];
    const start = Math.floor(now / bucketSeconds) * bucketSeconds - seconds + bucketSeconds;
    const buckets = await this.sql<Array<{ at: number; defer: number; pass: number; allow: number; reject: number }>>`
      SELECT (a.at / ${bucketSeconds}) * ${bucketSeconds} AS at,
        count(*) FILTER (WHERE s.text = 'defer') AS defer, count(*) FILTER (WHERE s.text = 'pass') AS pass,
        count(*) FILTER (WHERE s.text = 'allow') AS allow, count(*) FILTER (WHERE s.text = 'reject') AS reject
      FROM attempts a JOIN strings s ON s.id = a.action WHERE a.at >= ${start} GROUP BY 1 ORDER BY 1`;
    const changes = await this.sql<Array<{ at: number; key: string; from: string | null; to: string | null }>>`
      SELECT at, key, old_value AS "from", new_value AS "to" FROM setting_changes WHERE at >= ${start} ORDER BY at, id`;
    const settingChanges = changes.map((change) => ({
      ...change,
      from: change.from === null ? null : (JSON.parse(change.from) as unknown),
      to: change.to === null ? null : (JSON.parse(change.to) as unknown),
    }));
    return { range, bucketSeconds, start, buckets: [...buckets], settingChanges };
  }

  /** Every filter that announced itself on this database within the last day, with its decisions in the last minute. */
  async filters(now: number): Promise<SharedFilter[]> {
    const rows = await this.sql<Row[]>`
      SELECT p.host, p.pid, p.version, p.endpoints, p.started_at, p.seen_at, p.clock_offset,
        (SELECT count(*) FROM attempts a WHERE a.at >= ${now - 60} AND a.filter = (SELECT id FROM strings WHERE text = p.host)) AS recent
      FROM filter_presence p WHERE p.seen_at >= ${now - 86_400} ORDER BY p.host, p.pid`;
    return rows.map((row) => ({
      host: row.host as string,
      pid: row.pid as number,
      version: row.version as string,
      endpoints: JSON.parse(row.endpoints as string) as SharedFilter['endpoints'],
      startedAt: row.started_at as number,
      seenAt: row.seen_at as number,
      clockOffset: Math.round((row.clock_offset as number) * 10) / 10,
      decisionsPerMinute: row.recent as number,
      state: now - (row.seen_at as number) <= SILENT_AFTER_SECONDS ? 'answering' : 'silent',
    }));
  }
}
