import type { ListKind, ListName } from '../../../shared/lists.js';
import { planSettingsChange, SettingsRefused, type SettingsChangePlan } from '../../../shared/settings-change.js';
import { resolveSettings, type SettingKey } from '../../../shared/settings.js';
import type { PolicySnapshot } from '../greylist-store.js';
import { ListTablesBuilder } from '../list-tables.js';
import { listSizesOf, settingsFromRows } from '../policy-reader.js';
import type { PgSql } from './pg-connection.js';

type Tx = PgSql;

/** Entries read per round trip while the lists are built. */
const ENTRIES_PER_READ = 10_000;

async function storedSettingsWithin(tx: Tx): Promise<Partial<Record<SettingKey, unknown>>> {
  return settingsFromRows(await tx<Array<{ key: string; value: string }>>`SELECT key, value FROM settings`);
}

export function readStoredSettings(sql: PgSql): Promise<Partial<Record<SettingKey, unknown>>> {
  return storedSettingsWithin(sql);
}

/** Lists and settings as one consistent snapshot; entries are streamed into the tables, never held as rows. */
export async function readPolicySnapshot(sql: PgSql): Promise<PolicySnapshot> {
  return (await sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
    const t = tx as unknown as Tx;
    const [{ value: version }] = await t<[{ value: number }]>`SELECT value FROM meta WHERE key = 'policy_version'`;
    const { settings, problems } = resolveSettings(await storedSettingsWithin(t));
    const sizes = await t`SELECT list, kind, count(*) AS count, coalesce(sum(octet_length(pattern)), 0) AS bytes FROM list_entries GROUP BY list, kind`.values();
    const builder = new ListTablesBuilder(listSizesOf(sizes as unknown as Array<[ListName, string, number, number]>));
    await t`SELECT id, list, kind, pattern, expires_at FROM list_entries ORDER BY id`.values().cursor(ENTRIES_PER_READ, (rows) => {
      for (const [id, list, kind, pattern, expiresAt] of rows as unknown as Array<[number, ListName, ListKind, string, number | null]>) builder.add({ id, list, kind, pattern, expiresAt });
    });
    return { version, settings, problems, lists: builder.build() };
  })) as PolicySnapshot;
}

/**
 * Writes `changes` and `resets` together or nothing, checked with the stored settings inside the
 * transaction. The table is locked for the change: two hosts changing settings at once are
 * checked one after the other, never against the same old values.
 */
export async function changeStoredSettings(sql: PgSql, changes: Partial<Record<string, unknown>>, resets: readonly SettingKey[], now: number): Promise<SettingsChangePlan> {
  return (await sql.begin(async (tx) => {
    const t = tx as unknown as Tx;
    await t`LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE`;
    const stored = await storedSettingsWithin(t);
    const plan = planSettingsChange(stored, changes, resets);
    if (plan.errors.length > 0) throw new SettingsRefused(plan.errors);
    // NULL stands for the default: a value never set, or reset.
    const before = (key: string) => (key in stored ? JSON.stringify(stored[key as SettingKey]) : null);
    for (const [key, value] of Object.entries(plan.values)) {
      const text = JSON.stringify(value);
      await t`INSERT INTO settings (key, value, updated_at) VALUES (${key}, ${text}, ${now}) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;
      if (before(key) !== text) await t`INSERT INTO setting_changes (at, key, old_value, new_value) VALUES (${now}, ${key}, ${before(key)}, ${text})`;
    }
    for (const key of plan.resets) {
      const removed = await t`DELETE FROM settings WHERE key = ${key}`;
      if (removed.count > 0) await t`INSERT INTO setting_changes (at, key, old_value, new_value) VALUES (${now}, ${key}, ${before(key)}, NULL)`;
    }
    return plan;
  })) as SettingsChangePlan;
}
