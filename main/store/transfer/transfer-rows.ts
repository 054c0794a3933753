import type { ListEntryRow } from '../list-entry-rows.js';

/**
 * Rows as they travel from one store to another: texts instead of the source's string ids (the
 * target numbers its own), arrays for the big tables (an object per row costs more than the copy).
 */
export type { ListEntryRow };

export interface SettingRow {
  key: string;
  value: string;
  updated_at: number;
}

export interface SettingChangeRow {
  at: number;
  key: string;
  old_value: string | null;
  new_value: string | null;
}

export type TripletRow = [
  id: number, sender: string, recipient: string, clientGroup: string, firstSeen: number, lastSeen: number,
  attempts: number, earlyAttempts: number, passedAt: number | null, passes: number,
];

export type ClientPassRow = [client: string, passes: number, lastCountedAt: number, lastSeen: number];

/** `rule` is null where the row's triplet key is its rule; `filter` is null where the source does not record who decided. */
export type AttemptRow = [
  id: number, at: number, clientAddress: string, clientName: string, helo: string, sender: string, recipient: string, queueId: string,
  action: string, reason: string, rule: string | null, delay: number | null, tripletId: number | null, attemptNumber: number | null,
  clientGroup: string | null, keySender: string | null, keyRecipient: string | null, filter: string | null,
];

export interface TableCounts {
  list_entries: number;
  settings: number;
  setting_changes: number;
  triplets: number;
  client_passes: number;
  attempts: number;
}

/** Rows read per batch: a few MB, whatever the database's size. */
export const BATCH_ROWS = 5_000;

/** One consistent view of the source, read in batches. */
export interface SourceReader {
  counts(): Promise<TableCounts>;
  policyVersion(): Promise<number>;
  /** The filters that said they serve the source at `since` (seconds) or later, as "host (pid N)". */
  runningFilters(since: number): Promise<string[]>;
  listEntries(): AsyncIterable<ListEntryRow[]>;
  settings(): Promise<SettingRow[]>;
  settingChanges(): AsyncIterable<SettingChangeRow[]>;
  triplets(): AsyncIterable<TripletRow[]>;
  clientPasses(): AsyncIterable<ClientPassRow[]>;
  /** In time order (ties in id order). */
  attempts(): AsyncIterable<AttemptRow[]>;
}

export interface TransferSource {
  readonly description: string;
  /** Runs `read` on one snapshot: a filter still writing the source changes nothing the copy sees. */
  snapshot<T>(read: (reader: SourceReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Writes into the target, all inside one transaction. */
export interface TargetWriter {
  /** Removes the entries a new database starts with: the source's lists replace them. */
  dropDefaultEntries(): Promise<void>;
  listEntries(rows: readonly ListEntryRow[]): Promise<void>;
  /** Returns the keys written (with --merge, those the target had not set). */
  settings(rows: readonly SettingRow[]): Promise<string[]>;
  settingChanges(rows: readonly SettingChangeRow[]): Promise<void>;
  triplets(rows: readonly TripletRow[]): Promise<void>;
  clientPasses(rows: readonly ClientPassRow[]): Promise<void>;
  attempts(rows: readonly AttemptRow[]): Promise<void>;
  /** Moves the policy version past both databases' and tells running filters to read again. */
  finish(sourcePolicyVersion: number): Promise<void>;
}

export interface TransferTarget {
  readonly description: string;
  /** Whether this target can add a source to data it holds already. */
  readonly canMerge: boolean;
  /** What the target holds beyond a new database's two default entries, or undefined when nothing. */
  existingData(): Promise<string | undefined>;
  /** Runs `work` in one transaction: if it throws, the target is as it was. */
  write<T>(merge: boolean, work: (writer: TargetWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
