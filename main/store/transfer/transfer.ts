import type { TableCounts, TransferSource, TransferTarget } from './transfer-rows.js';

/** A filter whose heartbeat is this recent (seconds) still serves the source: it writes one every 5 s. */
const RUNNING_SECONDS = 30;
/** A progress line at most this often. */
const PROGRESS_MS = 2_000;

export interface TransferOptions {
  /** Add to a target that holds data already (see the command's help for what wins). */
  merge: boolean;
  /** Where progress and notes go (standard error for the command). */
  say: (line: string) => void;
  /** The clock progress is timed by, in milliseconds. */
  now?: () => number;
}

export interface TransferReport {
  counts: TableCounts;
  /** Whether the source was added to data the target held. */
  merged: boolean;
  seconds: number;
}

export class TargetNotEmptyError extends Error {}

const TABLE_ORDER = ['list_entries', 'settings', 'setting_changes', 'triplets', 'client_passes', 'attempts'] as const;
const TABLE_NAMES: Record<keyof TableCounts, string> = {
  list_entries: 'list entries',
  settings: 'settings',
  setting_changes: 'setting changes',
  triplets: 'triplets',
  client_passes: 'client pass counters',
  attempts: 'attempts',
};

export function describeCounts(counts: TableCounts): string {
  return TABLE_ORDER.map((table) => `${counts[table].toLocaleString('en')} ${TABLE_NAMES[table]}`).join(', ');
}

/**
 * Copies a whole greylist from `source` into `target`: lists, settings and their history, the
 * triplets, the client counters and the attempt log, in one transaction on the target and from
 * one snapshot of the source, batch by batch, so that memory stays small whatever the size. A
 * target that holds data already is refused unless `merge` is set.
 */
export async function transferGreylist(source: TransferSource, target: TransferTarget, { merge, say, now = Date.now }: TransferOptions): Promise<TransferReport> {
  const existing = await target.existingData();
  if (existing !== undefined && !merge) {
    throw new TargetNotEmptyError(`${target.description} already holds data (${existing}); nothing was copied. Add --merge to add ${source.description} to it, or choose an empty target`);
  }
  if (existing !== undefined && !target.canMerge) {
    throw new TargetNotEmptyError(`${target.description} already holds data (${existing}) and is a database file: only a PostgreSQL target can take a merge; nothing was copied`);
  }
  const merging = existing !== undefined;
  const started = now();
  return source.snapshot(async (read) => {
    const counts = await read.counts();
    const total = TABLE_ORDER.reduce((sum, table) => sum + counts[table], 0);
    say(`${merging ? 'merging' : 'copying'} ${describeCounts(counts)} from ${source.description} into ${target.description}`);
    const running = await read.runningFilters(Math.floor(now() / 1000) - RUNNING_SECONDS);
    if (running.length > 0) {
      say(`still serving ${source.description}: ${running.join(', ')}; what ${running.length === 1 ? 'it decides' : 'they decide'} from now on is not copied (stop the filters first to move everything)`);
    }
    let done = 0;
    let reportedAt = now();
    const copied = (table: keyof TableCounts, rows: number, tableDone: number) => {
      done += rows;
      if (now() - reportedAt < PROGRESS_MS) return;
      reportedAt = now();
      say(
        `${TABLE_NAMES[table]} ${tableDone.toLocaleString('en')} of ${counts[table].toLocaleString('en')}; ` +
          `${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows (${Math.floor((100 * done) / Math.max(1, total))}%, ${((now() - started) / 1000).toFixed(0)} s)`,
      );
    };
    const copy = async <R>(table: keyof TableCounts, batches: AsyncIterable<R[]>, write: (rows: R[]) => Promise<unknown>) => {
      let tableDone = 0;
      // The next batch is read while the last one is written.
      let writing: Promise<unknown> = Promise.resolve();
      for await (const rows of batches) {
        if (rows.length === 0) continue;
        await writing;
        const written = write(rows).then(() => copied(table, rows.length, (tableDone += rows.length)));
        written.catch(() => undefined);
        writing = written;
      }
      await writing;
    };
    await target.write(merging, async (writer) => {
      // The source's lists replace a new database's default entries: a default removed there stays removed.
      if (!merging) await writer.dropDefaultEntries();
      await copy('list_entries', read.listEntries(), (rows) => writer.listEntries(rows));
      const settings = await read.settings();
      const taken = new Set(await writer.settings(settings));
      copied('settings', settings.length, settings.length);
      // A setting's history goes with its value: where a merge kept the target's value, the target's history holds.
      await copy('setting_changes', read.settingChanges(), async (rows) => {
        const kept = rows.filter((row) => taken.has(row.key));
        if (kept.length > 0) await writer.settingChanges(kept);
      });
      await copy('triplets', read.triplets(), (rows) => writer.triplets(rows));
      await copy('client_passes', read.clientPasses(), (rows) => writer.clientPasses(rows));
      await copy('attempts', read.attempts(), (rows) => writer.attempts(rows));
      await writer.finish(await read.policyVersion());
    });
    const seconds = (now() - started) / 1000;
    say(`${merging ? 'merged' : 'copied'} ${total.toLocaleString('en')} rows in ${seconds.toFixed(1)} s`);
    return { counts, merged: merging, seconds };
  });
}
