import { DEFAULT_ENTRY_SOURCE } from '../../../shared/lists.js';
import { DEFAULT_ALLOW_ENTRIES } from '../default-entries.js';

/** List entries other than those a new database starts with (same SQL for both stores). */
export const NON_DEFAULT_ENTRIES_SQL = `SELECT count(*) FROM list_entries WHERE NOT (source = '${DEFAULT_ENTRY_SOURCE}' AND list = 'allow' AND (kind, pattern) IN (${DEFAULT_ALLOW_ENTRIES.map(
  (entry) => `('${entry.kind}', '${entry.pattern}')`,
).join(', ')}))`;

/** What a target holds, counted by the tables that make it more than a new database. */
export const EXISTING_DATA_SQL = `SELECT
  (SELECT count(*) FROM triplets) AS triplets,
  (SELECT count(*) FROM attempts) AS attempts,
  (SELECT count(*) FROM client_passes) AS client_passes,
  (${NON_DEFAULT_ENTRIES_SQL}) AS list_entries,
  (SELECT count(*) FROM settings) AS settings,
  (SELECT count(*) FROM setting_changes) AS setting_changes`;

const NAMES: Record<string, [string, string]> = {
  triplets: ['triplet', 'triplets'],
  attempts: ['attempt', 'attempts'],
  client_passes: ['client pass counter', 'client pass counters'],
  list_entries: ['list entry besides the defaults', 'list entries besides the defaults'],
  settings: ['stored setting', 'stored settings'],
  setting_changes: ['recorded setting change', 'recorded setting changes'],
};

/** "12 triplets, 40 attempts" for what is there, or undefined when nothing is. */
export function describeExistingData(counts: Record<string, number>): string | undefined {
  const parts = Object.entries(counts)
    .filter(([, count]) => Number(count) > 0)
    .map(([table, count]) => `${Number(count).toLocaleString('en')} ${NAMES[table]![Number(count) === 1 ? 0 : 1]}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
