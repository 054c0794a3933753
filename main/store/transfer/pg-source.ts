import { FutureSchemaError } from '../migrations.js';
import { connectPostgres, describeDatabaseUrl, type PgSql } from '../postgres/pg-connection.js';
import { PG_LATEST_SCHEMA_VERSION } from '../postgres/pg-migrations.js';
import { BATCH_ROWS, type AttemptRow, type ClientPassRow, type ListEntryRow, type SettingChangeRow, type SettingRow, type SourceReader, type TransferSource, type TripletRow } from './transfer-rows.js';

/**
 * A shared PostgreSQL greylist read as it is, never written (not even migrated): one read-only
 * transaction at REPEATABLE READ, so that the filters still deciding from it change nothing the
 * copy sees, each table streamed through a cursor.
 */
export class PgSource implements TransferSource {
  private constructor(
    private readonly sql: PgSql,
    readonly description: string,
  ) {}

  static async open(url: string): Promise<PgSource> {
    const sql = connectPostgres(url, { max: 1, applicationName: 'greyward migrate' });
    const description = describeDatabaseUrl(url);
    try {
      const [{ present }] = await sql<[{ present: boolean }]>`SELECT to_regclass('meta') IS NOT NULL AND to_regclass('attempts') IS NOT NULL AS present`;
      if (!present) throw new Error(`${description} holds no Greyward greylist`);
      const version = (await sql<Array<{ value: number }>>`SELECT value FROM meta WHERE key = 'schema_version'`)[0]?.value ?? 0;
      if (version > PG_LATEST_SCHEMA_VERSION) throw new FutureSchemaError(version, PG_LATEST_SCHEMA_VERSION);
      if (version < PG_LATEST_SCHEMA_VERSION) throw new Error(`${description} has an older schema (version ${version}); start a filter of this Greyward on it once to upgrade it, then migrate`);
      return new PgSource(sql, description);
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      if ((error as { code?: string }).code !== undefined && !(error instanceof FutureSchemaError)) throw new Error(`cannot read ${description}: ${(error as Error).message}`);
      throw error;
    }
  }

  async snapshot<T>(read: (reader: SourceReader) => Promise<T>): Promise<T> {
    return (await this.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => read(reader(tx as unknown as PgSql)))) as T;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 2 });
  }
}

function reader(tx: PgSql): SourceReader {
  const stream = <T>(query: string) => tx.unsafe(query).values().cursor(BATCH_ROWS) as unknown as AsyncIterable<T[]>;
  const count = async (table: string) => (await tx.unsafe(`SELECT count(*)::bigint AS n FROM ${table}`))[0]!.n as number;
  return {
    counts: async () => ({
      list_entries: await count('list_entries'),
      settings: await count('settings'),
      setting_changes: await count('setting_changes'),
      triplets: await count('triplets'),
      client_passes: await count('client_passes'),
      attempts: await count('attempts'),
    }),
    policyVersion: async () => (await tx<Array<{ value: number }>>`SELECT value FROM meta WHERE key = 'policy_version'`)[0]?.value ?? 0,
    runningFilters: async (since) =>
      (await tx<Array<{ host: string; pid: number }>>`SELECT host, pid FROM filter_presence WHERE seen_at >= ${since} ORDER BY host, pid`).map(({ host, pid }) => `${host} (pid ${pid})`),
    listEntries: () =>
      tx`SELECT id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at FROM list_entries ORDER BY id`.cursor(BATCH_ROWS) as unknown as AsyncIterable<ListEntryRow[]>,
    settings: async () => (await tx<SettingRow[]>`SELECT key, value, updated_at FROM settings ORDER BY key`).map((row) => ({ ...row })),
    settingChanges: () => tx`SELECT at, key, old_value, new_value FROM setting_changes ORDER BY id`.cursor(BATCH_ROWS) as unknown as AsyncIterable<SettingChangeRow[]>,
    triplets: () =>
      stream<TripletRow>(
        `SELECT t.id, s.text, r.text, cg.text, t.first_seen, t.last_seen, t.attempts, t.early_attempts, t.passed_at, t.passes
         FROM triplets t JOIN strings s ON s.id = t.sender JOIN strings r ON r.id = t.recipient JOIN strings cg ON cg.id = t.client_group
         ORDER BY t.id`,
      ),
    clientPasses: () => stream<ClientPassRow>('SELECT client, passes, last_counted_at, last_seen FROM client_passes ORDER BY client'),
    // Several filters append at once, so ids are not in time order. Texts by hash joins: a lookup per column and row takes four times as long.
    attempts: () =>
      stream<AttemptRow>(
        `SELECT a.id, a.at, ca.text, cn.text, h.text, s.text, r.text, a.queue_id, ac.text, re.text, ru.text, a.delay, a.triplet_id, a.attempt_number,
           cg.text, ks.text, kr.text, f.text
         FROM attempts a
           JOIN strings ca ON ca.id = a.client_address JOIN strings cn ON cn.id = a.client_name JOIN strings h ON h.id = a.helo
           JOIN strings s ON s.id = a.sender JOIN strings r ON r.id = a.recipient JOIN strings ac ON ac.id = a.action JOIN strings re ON re.id = a.reason
           LEFT JOIN strings ru ON ru.id = a.rule LEFT JOIN strings cg ON cg.id = a.client_group
           LEFT JOIN strings ks ON ks.id = a.key_sender LEFT JOIN strings kr ON kr.id = a.key_recipient JOIN strings f ON f.id = a.filter
         ORDER BY a.at, a.id`,
      ),
  };
}
