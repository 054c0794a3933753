import { CHART_RANGES, SEARCH_COUNT_LIMIT, type Attempt, type ChartRange, type MailPassed, type Triplet } from '../../shared/contract.js';
import { ipv4Bytes, networkContains, parseIp, parseNetwork, type Network } from '../../shared/net.js';
import { deferralOutcomes, SORT_COLUMNS, type AdminReads, type Timing, type TripletPageQuery } from './admin-reads.js';
import { attemptIdAt, stringId, stringIds } from './compact-log.js';
import type { SqliteDatabase } from './database.js';
import { StringCatalogue } from './string-catalogue.js';
import { TripletKeyColumns } from './triplet-key-columns.js';

/** Read and maintenance queries of the administration screens; none of them is on the filter's request path. */

const ATTEMPT_COLUMNS = `id, at, client_address AS clientAddress, client_name AS clientName, helo, sender, recipient,
  queue_id AS queueId, action, reason, rule, delay, triplet_id AS tripletId, attempt_number AS attemptNumber`;


export function networkOf(text: string): Network | undefined {
  try {
    return parseNetwork(text);
  } catch {
    return undefined;
  }
}

/**
 * A LIKE pattern every address of the network starts with as Postfix writes it (inet_ntop: no
 * leading zeros, `::` only for a run of zero groups): its whole IPv4 octets, or its whole IPv6
 * groups up to the first zero group. Only the rows it lets through are tested bit by bit.
 */
export function networkTextPrefix(network: Network): string {
  if (network.family === 4) {
    const octets = network.address.split('.').slice(0, Math.floor(network.prefix / 8));
    return octets.length ? `${octets.join('.')}.%` : '%.%';
  }
  const groups: string[] = [];
  const words = expandIpv6(network.address);
  for (let i = 0; i < Math.floor(network.prefix / 16) && words[i] !== 0; i++) groups.push(words[i]!.toString(16));
  return groups.length ? `${groups.join(':')}:%` : '%:%';
}

function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string) => (text ? text.split(':').map((group) => parseInt(group, 16)) : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const ipv4Number = (bytes: number[]) => ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;

/** Matches that an id list names in SQL; more are tested through a bitmap, row by row, where the rows are read in order anyway. */
const LISTED_MATCHES = 50_000;

export class AdminQueries implements AdminReads {
  private readonly catalogue: StringCatalogue;
  private readonly keyColumns: TripletKeyColumns;
  /** The strings (or triplets) the current search matched, by id. */
  private hits: Uint8Array = new Uint8Array(0);

  constructor(private readonly db: SqliteDatabase) {
    this.catalogue = new StringCatalogue(db);
    this.keyColumns = new TripletKeyColumns(db);
    db.function('greyward_search_hit', { deterministic: false }, (id: unknown) => (typeof id === 'number' && this.hits[id] ? 1 : 0));
  }

  /** Ids of the strings containing `term`, and the same as a bitmap (in `hits`). */
  private stringsContaining(term: string): number[] {
    this.catalogue.catchUp();
    const ids = this.catalogue.idsContaining(term);
    this.hits = bitmapOf(ids, this.catalogue.maxId);
    return ids;
  }

  /** An SQL condition: `column` is one of `ids` (listed when few; through the bitmap in `hits` when many). */
  private oneOf(column: string, ids: readonly number[]): string {
    if (ids.length === 0) return '0';
    return ids.length <= LISTED_MATCHES ? `${column} IN (${ids.join(',')})` : `greyward_search_hit(${column})`;
  }

  /**
   * A summary of the lists that moves with an entry added, removed or given another expiry: it
   * tells a change of the lists from one of the settings when both bumped the policy version.
   */
  listsFingerprint(): string {
    return this.db
      .prepare("SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || total(expires_at) || ':' || total(length(pattern)) FROM list_entries")
      .pluck()
      .get() as string;
  }

  lastAttemptId(): number {
    return (this.db.prepare('SELECT coalesce(max(id), 0) FROM attempts').pluck().get() as number) ?? 0;
  }

  attemptsAfter(afterId: number, limit: number): Attempt[] {
    return this.db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempt_view WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as Attempt[];
  }

  recentAttempts(limit: number, actions?: readonly string[]): Attempt[] {
    const ids = actions?.length ? [...stringIds(this.db, actions).values()] : undefined;
    const filter = ids ? `WHERE action_id IN (${ids.map(() => '?').join(', ') || 'NULL'})` : '';
    const rows = this.db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempt_view ${filter} ORDER BY id DESC LIMIT ?`).all(...(ids ?? []), limit) as Attempt[];
    return rows.reverse();
  }

  /** The newest deferrals, and how the mail of each got through since (see deferralOutcomes). */
  deferralsWithOutcomes(limit: number): { deferrals: Attempt[]; passed: MailPassed[] } {
    const deferrals = this.recentAttempts(limit, ['defer']);
    if (deferrals.length === 0) return { deferrals, passed: [] };
    const tripletIds = [...new Set(deferrals.map((d) => d.tripletId).filter((id): id is number => id !== null))];
    const passedTriplets = this.db.prepare(
      `SELECT t.id, t.passed_at AS at,
              EXISTS (SELECT 1 FROM attempts a WHERE a.triplet_id = t.id AND a.reason = ? AND a.at = t.passed_at) AS byRetry
       FROM triplets t WHERE t.id IN (SELECT value FROM json_each(?)) AND t.passed_at IS NOT NULL`,
    );
    const rows = passedTriplets.all(stringId(this.db, 'passed'), JSON.stringify(tripletIds)) as Array<{ id: number; at: number; byRetry: number }>;
    const tripletPasses = new Map(rows.map((row) => [row.id, { at: row.at, byRetry: row.byRetry === 1 }]));
    const allowed = this.db.prepare(`SELECT id, at, sender, recipient FROM attempt_view WHERE id > ? AND action_id = ? ORDER BY id`);
    const allowedRows = allowed.iterate(deferrals[0]!.id, stringId(this.db, 'allow')) as Iterable<{ id: number; at: number; sender: string; recipient: string }>;
    return { deferrals, passed: deferralOutcomes(deferrals, tripletPasses, allowedRows) };
  }

  /**
   * Attempts of a client address or network (CIDR), sender (`<>`: the empty one), recipient or queue id:
   * exact matches first, then substrings of addresses.
   */
  searchAttempts(query: string, limit: number): Attempt[] {
    const q = query.trim();
    if (!q) return [];
    const select = (where: string, params: Record<string, unknown>) =>
      this.db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempt_view WHERE ${where} ORDER BY id DESC LIMIT @limit`).all({ ...params, limit }) as Attempt[];
    if (q === '<>') return select('sender_id = @empty', { empty: stringId(this.db, '') });
    const network = q.includes('/') ? networkOf(q) : undefined;
    if (network) {
      this.registerNetworkFunction();
      return select(
        `client_address_id IN (SELECT id FROM strings WHERE text LIKE @textPrefix AND greyward_in_network(text, @network))`,
        { textPrefix: networkTextPrefix(network), network: q },
      );
    }
    const ip = parseIp(q);
    const matching = this.stringsContaining(q);
    const addresses = [...stringIds(this.db, [q, ip?.address ?? q]).values()];
    return select(
      `client_address_id IN (${addresses.join(',') || 'NULL'}) OR queue_id = @q
       OR ${this.oneOf('sender_id', matching)} OR ${this.oneOf('recipient_id', matching)} OR ${this.oneOf('client_name_id', matching)}`,
      { q },
    );
  }

  private networkFunction = false;

  private registerNetworkFunction(): void {
    if (this.networkFunction) return;
    let parsed: { text: string; network: Network; v4?: { base: number; mask: number } } | undefined;
    this.db.function('greyward_in_network', { deterministic: true }, (address: unknown, text: unknown) => {
      if (typeof address !== 'string' || typeof text !== 'string') return 0;
      if (parsed?.text !== text) {
        const network = parseNetwork(text);
        const v4 = network.family === 4 ? { base: ipv4Number(ipv4Bytes(network.address)!), mask: network.prefix === 0 ? 0 : (~0 << (32 - network.prefix)) >>> 0 } : undefined;
        parsed = { text, network, ...(v4 ? { v4 } : {}) };
      }
      // Dotted quads are most of a log: compared as numbers, without parsing each address in full.
      const bytes = parsed.v4 ? ipv4Bytes(address) : undefined;
      if (bytes && parsed.v4) return ((ipv4Number(bytes) & parsed.v4.mask) >>> 0) === parsed.v4.base ? 1 : 0;
      return networkContains(parsed.network, address) ? 1 : 0;
    });
    this.networkFunction = true;
  }

  attemptsOfTriplet(tripletId: number): Attempt[] {
    return this.db.prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempt_view WHERE triplet_id = ? ORDER BY id`).all(tripletId) as Attempt[];
  }

  triplet(id: number, now: number, timing: Timing): Triplet | null {
    const row = this.db.prepare(`SELECT ${this.tripletColumns()} FROM triplet_view WHERE id = @id`).get({ id, ...this.stateParams(now, timing) });
    return row ? this.withSecondsLeft(row as Triplet, now, timing) : null;
  }

  tripletPage(query: TripletPageQuery, now: number, timing: Timing): { rows: Triplet[]; total: number; capped: boolean } {
    const where: string[] = [];
    const params: Record<string, string | number> = { ...this.stateParams(now, timing), limit: query.limit, offset: query.offset };
    const searching = !!query.search?.trim();
    if (searching) {
      // The distinct strings are searched in memory, then the triplets' keys in memory: no table is scanned.
      this.stringsContaining(query.search!.trim());
      this.keyColumns.catchUp();
      const triplets = this.keyColumns.matching(this.hits);
      this.hits = bitmapOf(triplets, triplets.at(-1) ?? 0);
      where.push(this.oneOf('id', triplets));
    }
    if (query.state === 'waiting') where.push('passed_at IS NULL AND first_seen >= @waitingSince');
    if (query.state === 'passed') where.push('passed_at IS NOT NULL AND last_seen >= @passedSince');
    if (query.state === 'expired') where.push('((passed_at IS NULL AND first_seen < @waitingSince) OR (passed_at IS NOT NULL AND last_seen < @passedSince))');
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const direction = query.descending ? 'DESC' : 'ASC';
    const rows = this.db
      .prepare(`SELECT ${this.tripletColumns()} FROM triplet_view ${clause} ORDER BY ${SORT_COLUMNS[query.sort]} ${direction}, id ${direction} LIMIT @limit OFFSET @offset`)
      .all(params) as Triplet[];
    const { limit: _limit, offset: _offset, ...countParams } = params;
    // A substring search cannot use an index: count its matches only up to a limit, so the page stays quick.
    const countLimit = searching ? SEARCH_COUNT_LIMIT + 1 : -1;
    const counted = this.db.prepare(`SELECT count(*) FROM (SELECT 1 FROM triplet_view ${clause} LIMIT @countLimit)`).pluck().get({ ...countParams, countLimit }) as number;
    const capped = countLimit !== -1 && counted > SEARCH_COUNT_LIMIT;
    return { rows: rows.map((row) => this.withSecondsLeft(row, now, timing)), total: capped ? SEARCH_COUNT_LIMIT : counted, capped };
  }

  /** The next retry of each triplet passes: as if its delay had run out now. */
  passTripletsNow(ids: readonly number[], now: number): number {
    const update = this.db.prepare('UPDATE triplets SET passed_at = @now, last_seen = max(last_seen, @now) WHERE id = @id AND passed_at IS NULL');
    return this.editTriplets(() => ids.reduce((n, id) => n + update.run({ id, now }).changes, 0));
  }

  deleteTriplets(ids: readonly number[]): number {
    const remove = this.db.prepare('DELETE FROM triplets WHERE id = ?');
    return this.editTriplets(() => ids.reduce((n, id) => n + remove.run(id).changes, 0));
  }

  /** Edits triplets and tells a running filter, which then forgets the states it remembers. */
  private editTriplets(edit: () => number): number {
    return this.db.transaction(() => {
      const changed = edit();
      if (changed > 0) this.db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'triplet_edits'").run();
      return changed;
    })();
  }

  overview(now: number, startOfDay: number, range?: ChartRange) {
    const counts = { defer: 0, pass: 0, allow: 0, reject: 0 };
    const today = { ...counts };
    const rows = this.db
      .prepare('SELECT (SELECT text FROM strings WHERE id = action) AS action, count(*) AS n FROM attempts WHERE id >= ? GROUP BY action')
      .all(attemptIdAt(this.db, startOfDay)) as Array<{ action: string; n: number }>;
    for (const row of rows) {
      if (row.action in today) today[row.action as keyof typeof today] = row.n;
    }
    const chart = this.decisionChart(now, range);
    const topDeferred = this.db
      .prepare(
        `SELECT (SELECT text FROM strings WHERE id = sender) AS sender, deferrals, lastAt FROM (
           SELECT sender, count(*) AS deferrals, max(at) AS lastAt FROM attempts
           WHERE id >= ? AND action = ? GROUP BY sender ORDER BY deferrals DESC, lastAt DESC LIMIT 10)`,
      )
      .all(attemptIdAt(this.db, now - 86_400), stringId(this.db, 'defer')) as Array<{ sender: string; deferrals: number; lastAt: number }>;
    return { today, chart, topDeferred };
  }

  /**
   * Decisions per bucket. Unless a range is asked for, a log younger than two hours is shown over the
   * last hour, so that fresh traffic spreads over the chart instead of being a spike at its right edge.
   */
  private decisionChart(now: number, asked: ChartRange | undefined) {
    const firstAt = this.db.prepare('SELECT at FROM attempts ORDER BY id LIMIT 1').pluck().get() as number | undefined;
    const range: ChartRange = asked ?? (firstAt !== undefined && now - firstAt <= 2 * 3600 ? '1h' : '24h');
    const { seconds, bucketSeconds } = CHART_RANGES[range];
    const start = Math.floor(now / bucketSeconds) * bucketSeconds - seconds + bucketSeconds;
    const actions = stringIds(this.db, ['defer', 'pass', 'allow', 'reject']);
    const buckets = this.db
      .prepare(
        `SELECT (at / @bucket) * @bucket AS at, sum(action = @defer) AS defer, sum(action = @pass) AS pass,
                sum(action = @allow) AS allow, sum(action = @reject) AS reject
         FROM attempts WHERE id >= @from AND at >= @start GROUP BY at / @bucket ORDER BY 1`,
      )
      .all({
        bucket: bucketSeconds,
        start,
        from: attemptIdAt(this.db, start),
        ...Object.fromEntries(['defer', 'pass', 'allow', 'reject'].map((action) => [action, actions.get(action) ?? -1])),
      }) as Array<{ at: number; defer: number; pass: number; allow: number; reject: number }>;
    const settingChanges = (
      this.db.prepare('SELECT at, key, old_value AS "from", new_value AS "to" FROM setting_changes WHERE at >= ? ORDER BY at, id').all(start) as Array<{
        at: number;
        key: string;
        from: string | null;
        to: string | null;
      }>
    ).map((change) => ({ ...change, from: change.from === null ? null : (JSON.parse(change.from) as unknown), to: change.to === null ? null : (JSON.parse(change.to) as unknown) }));
    return { range, bucketSeconds, start, buckets, settingChanges };
  }

  private tripletColumns(): string {
    return `id, client_group AS clientGroup, sender, recipient, first_seen AS firstSeen, last_seen AS lastSeen, attempts,
      early_attempts AS earlyAttempts, passed_at AS passedAt,
      CASE WHEN passed_at IS NOT NULL AND last_seen >= @passedSince THEN 'passed'
           WHEN passed_at IS NULL AND first_seen >= @waitingSince THEN 'waiting'
           ELSE 'expired' END AS state`;
  }

  private stateParams(now: number, timing: Timing) {
    return { waitingSince: now - timing.retryWindow, passedSince: now - timing.maxAge };
  }

  private withSecondsLeft(row: Triplet, now: number, timing: Timing): Triplet {
    return { ...row, secondsLeft: row.state === 'waiting' ? Math.max(0, row.firstSeen + timing.delay - now) : null };
  }
}

function bitmapOf(ids: readonly number[], max: number): Uint8Array {
  const bitmap = new Uint8Array(max + 1);
  for (const id of ids) bitmap[id] = 1;
  return bitmap;
}
