import { resolveSettings } from '../../../shared/settings.js';
import { settingsFromRows } from '../policy-reader.js';
import { connectPostgres, describeDatabaseUrl, type PgSql } from '../postgres/pg-connection.js';
import { migratePostgres } from '../postgres/pg-migrations.js';
import { PgStringTable } from '../postgres/pg-strings.js';
import { describeExistingData, EXISTING_DATA_SQL } from './existing-data.js';
import type { AttemptRow, TargetWriter, TransferTarget, TripletRow } from './transfer-rows.js';
import { TargetNotEmptyError } from './transfer.js';

export interface PgTargetOptions {
  /** Who decided the attempts of a source that does not record it (a database file): its host's name. */
  filterName: string;
  /** Told what a merge left as it was. */
  note: (line: string) => void;
}

/** Texts whose ids the copy remembers (some 30 MB): a busy server's log names a few hundred thousand. */
const TEXTS_REMEMBERED = 300_000;

/** Column `index` of every row. */
const column = <T extends unknown[]>(rows: readonly T[], index: number) => rows.map((row) => row[index]);

/**
 * A shared PostgreSQL greylist as the target: created and migrated if new, then filled in one
 * transaction, each batch of rows in one INSERT … SELECT FROM unnest(…). A whole greylist keeps
 * its ids; a merge (--merge) adds to what the database holds, as the command's help says.
 */
export class PgTarget implements TransferTarget {
  readonly canMerge = true;

  private constructor(
    private readonly sql: PgSql,
    readonly description: string,
    private readonly options: PgTargetOptions,
  ) {}

  static async open(url: string, options: PgTargetOptions): Promise<PgTarget> {
    const sql = connectPostgres(url, { max: 1, applicationName: 'greyward migrate' });
    try {
      await migratePostgres(sql);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw new Error(`cannot prepare ${describeDatabaseUrl(url)}: ${(error as Error).message}`);
    }
    return new PgTarget(sql, describeDatabaseUrl(url), options);
  }

  async existingData(): Promise<string | undefined> {
    const [counts] = await this.sql.unsafe(EXISTING_DATA_SQL);
    return describeExistingData(counts as Record<string, number>);
  }

  /**
   * Filters on the target go on reading while the copy runs; their writes wait for it, so that
   * none takes an id or a triplet the copy is writing, and none arrives between the check that
   * the target is empty and the copy.
   */
  async write<T>(merge: boolean, work: (writer: TargetWriter) => Promise<T>): Promise<T> {
    return (await this.sql.begin(async (tx) => {
      await tx`LOCK TABLE list_entries, settings, setting_changes, triplets, client_passes, attempts IN EXCLUSIVE MODE`;
      const existing = merge ? undefined : describeExistingData((await tx.unsafe(EXISTING_DATA_SQL))[0] as Record<string, number>);
      if (existing !== undefined) throw new TargetNotEmptyError(`${this.description} was written meanwhile (${existing}); nothing was copied`);
      return work(this.writer(tx as unknown as PgSql, merge));
    })) as T;
  }

  private writer(tx: PgSql, merge: boolean): TargetWriter {
    const strings = new PgStringTable(TEXTS_REMEMBERED);
    const { filterName, note } = this.options;
    /** The target's ids of every text in `rows`' columns `indexes`. */
    const idsOf = async <R extends unknown[]>(rows: readonly R[], indexes: readonly number[], extra: readonly string[] = []) => {
      const texts = new Set<string>(extra);
      for (const row of rows) for (const index of indexes) if (typeof row[index] === 'string') texts.add(row[index] as string);
      const ids = await strings.idsWithin(tx, texts);
      strings.remember(ids);
      return (text: unknown) => (typeof text === 'string' ? ids.get(text)! : null);
    };
    return {
      dropDefaultEntries: async () => void (await tx`DELETE FROM list_entries`),
      listEntries: async (rows) => {
        const c = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((row) => row[key]) as never;
        // A merge keeps the target's entry where both have one, with the hits of both.
        if (merge) {
          await tx`
            INSERT INTO list_entries (list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at)
            SELECT * FROM unnest(${c('list')}::text[], ${c('kind')}::text[], ${c('pattern')}::text[], ${c('comment')}::text[], ${c('source')}::text[],
              ${c('created_at')}::bigint[], ${c('expires_at')}::bigint[], ${c('hits')}::bigint[], ${c('last_hit_at')}::bigint[])
            ON CONFLICT (list, kind, pattern) DO UPDATE SET hits = list_entries.hits + excluded.hits,
              last_hit_at = GREATEST(list_entries.last_hit_at, excluded.last_hit_at)`;
          return;
        }
        await tx`
          INSERT INTO list_entries (id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at)
          SELECT * FROM unnest(${c('id')}::bigint[], ${c('list')}::text[], ${c('kind')}::text[], ${c('pattern')}::text[], ${c('comment')}::text[], ${c('source')}::text[],
            ${c('created_at')}::bigint[], ${c('expires_at')}::bigint[], ${c('hits')}::bigint[], ${c('last_hit_at')}::bigint[])`;
      },
      settings: async (rows) => {
        if (merge) {
          // The target's settings stay; the source's fill in what the target never set, if the whole still holds together.
          const stored = await tx<Array<{ key: string; value: string }>>`SELECT key, value FROM settings`;
          const added = rows.filter((row) => !stored.some((s) => s.key === row.key));
          if (added.length === 0) return [];
          const { problems } = resolveSettings(settingsFromRows([...stored, ...added]));
          if (problems.length > 0) {
            note(`the target's settings were kept as they are: with the source's ${added.map((row) => row.key).join(', ')} they would not hold together (${problems.join('; ')})`);
            return [];
          }
          rows = added;
        }
        for (const row of rows) await tx`INSERT INTO settings (key, value, updated_at) VALUES (${row.key}, ${row.value}, ${row.updated_at})`;
        return rows.map((row) => row.key);
      },
      settingChanges: async (rows) => {
        const c = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((row) => row[key]) as never;
        await tx`
          INSERT INTO setting_changes (at, key, old_value, new_value)
          SELECT * FROM unnest(${c('at')}::bigint[], ${c('key')}::text[], ${c('old_value')}::text[], ${c('new_value')}::text[])`;
      },
      triplets: async (rows) => {
        const id = await idsOf(rows, [1, 2, 3]);
        const c = (index: number) => column<TripletRow>(rows, index) as never;
        const keys = (index: number) => rows.map((row) => id(row[index])) as never;
        if (!merge) {
          await tx`
            INSERT INTO triplets (id, sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes) OVERRIDING SYSTEM VALUE
            SELECT * FROM unnest(${c(0)}::bigint[], ${keys(1)}::bigint[], ${keys(2)}::bigint[], ${keys(3)}::bigint[], ${c(4)}::bigint[], ${c(5)}::bigint[],
              ${c(6)}::int[], ${c(7)}::int[], ${c(8)}::bigint[], ${c(9)}::int[])`;
          return;
        }
        // Both hosts saw the triplet: its counts add up, it was first seen by the earlier and passed at the earlier pass.
        await tx`CREATE TEMP TABLE IF NOT EXISTS transfer_triplet_ids (source bigint PRIMARY KEY, target bigint NOT NULL) ON COMMIT DROP`;
        await tx`
          WITH input AS (
            SELECT * FROM unnest(${c(0)}::bigint[], ${keys(1)}::bigint[], ${keys(2)}::bigint[], ${keys(3)}::bigint[], ${c(4)}::bigint[], ${c(5)}::bigint[],
              ${c(6)}::int[], ${c(7)}::int[], ${c(8)}::bigint[], ${c(9)}::int[])
              AS i (source, sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
          ), stored AS (
            INSERT INTO triplets (sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
            SELECT sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM input
            ORDER BY sender, recipient, client_group
            ON CONFLICT (sender, recipient, client_group) DO UPDATE SET
              first_seen = LEAST(triplets.first_seen, excluded.first_seen),
              last_seen = GREATEST(triplets.last_seen, excluded.last_seen),
              attempts = triplets.attempts + excluded.attempts,
              early_attempts = triplets.early_attempts + excluded.early_attempts,
              passed_at = LEAST(triplets.passed_at, excluded.passed_at),
              passes = triplets.passes + excluded.passes,
              change = nextval('greyward_changes')
            RETURNING id, sender, recipient, client_group
          )
          INSERT INTO transfer_triplet_ids (source, target)
          SELECT input.source, stored.id FROM input JOIN stored USING (sender, recipient, client_group)`;
      },
      clientPasses: async (rows) => {
        const c = (index: number) => rows.map((row) => row[index]) as never;
        await tx`
          INSERT INTO client_passes (client, passes, last_counted_at, last_seen)
          SELECT * FROM unnest(${c(0)}::text[], ${c(1)}::int[], ${c(2)}::bigint[], ${c(3)}::bigint[])
          ON CONFLICT (client) DO UPDATE SET passes = client_passes.passes + excluded.passes,
            last_counted_at = GREATEST(client_passes.last_counted_at, excluded.last_counted_at),
            last_seen = GREATEST(client_passes.last_seen, excluded.last_seen)`;
      },
      attempts: async (rows) => {
        const id = await idsOf(rows, [2, 3, 4, 5, 6, 8, 9, 10, 14, 15, 16, 17], [filterName]);
        const c = (index: number) => column<AttemptRow>(rows, index) as never;
        const texts = (index: number) => rows.map((row) => id(row[index])) as never;
        const filters = rows.map((row) => id(row[17] ?? filterName)) as never;
        const values = tx`unnest(${c(0)}::bigint[], ${c(1)}::bigint[], ${texts(2)}::bigint[], ${texts(3)}::bigint[], ${texts(4)}::bigint[], ${texts(5)}::bigint[],
          ${texts(6)}::bigint[], ${c(7)}::text[], ${texts(8)}::bigint[], ${texts(9)}::bigint[], ${texts(10)}::bigint[], ${c(11)}::int[], ${c(12)}::bigint[],
          ${c(13)}::int[], ${texts(14)}::bigint[], ${texts(15)}::bigint[], ${texts(16)}::bigint[], ${filters}::bigint[])
          AS a (id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
            attempt_number, client_group, key_sender, key_recipient, filter)`;
        if (!merge) {
          await tx`
            INSERT INTO attempts (id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
              attempt_number, client_group, key_sender, key_recipient, filter) OVERRIDING SYSTEM VALUE
            SELECT * FROM ${values}`;
          return;
        }
        // New ids after the target's; each row names the target's triplet of its source triplet (none for one that expired).
        await tx`
          INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id,
            attempt_number, client_group, key_sender, key_recipient, filter)
          SELECT a.at, a.client_address, a.client_name, a.helo, a.sender, a.recipient, a.queue_id, a.action, a.reason, a.rule, a.delay, m.target,
            a.attempt_number, a.client_group, a.key_sender, a.key_recipient, a.filter
          FROM ${values} LEFT JOIN transfer_triplet_ids m ON m.source = a.triplet_id`;
      },
      finish: async (sourcePolicyVersion) => {
        // Ids given explicitly leave the identity sequences behind: the filters' next rows must not take them.
        for (const table of ['list_entries', 'triplets', 'attempts']) {
          await tx.unsafe(
            `SELECT setval(pg_get_serial_sequence('${table}', 'id'),
               GREATEST((SELECT coalesce(max(id), 0) FROM ${table}), coalesce(pg_sequence_last_value(pg_get_serial_sequence('${table}', 'id')::regclass), 0), 1))`,
          );
        }
        // Every filter reads the lists and settings again, and forgets the triplets it remembers.
        const [{ value }] = await tx<[{ value: number }]>`UPDATE meta SET value = GREATEST(value, ${sourcePolicyVersion}) + 1 WHERE key = 'policy_version' RETURNING value`;
        await tx`UPDATE meta SET value = value + 1 WHERE key = 'triplet_edits'`;
        await tx`SELECT pg_notify('greyward_policy', ${String(value)})`;
      },
    };
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 2 });
  }
}
