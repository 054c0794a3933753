import type { ListEntry, ListEntryChange, ListName, NewListEntry } from '../../shared/lists.js';
import type { SettingsChangePlan } from '../../shared/settings-change.js';
import type { SettingKey, Settings } from '../../shared/settings.js';
import type { ListTables } from './list-tables.js';

/** Storage seen by the filter and by administration. Asynchronous so that a network database fits behind it. */

export interface TripletKey {
  clientGroup: string;
  sender: string;
  recipient: string;
}

/** One string per triplet, for maps and filters keyed by triplet. */
export const tripletKeyText = (key: TripletKey) => `${key.clientGroup}\0${key.sender}\0${key.recipient}`;

export interface TripletState {
  firstSeen: number;
  lastSeen: number;
  attempts: number;
  /** Retries that came before the delay had run out. */
  earlyAttempts: number;
  passedAt: number | null;
  passes: number;
}

export interface GreylistState {
  triplet: TripletState | undefined;
  /** The stored row the triplet was read from, if it was. */
  tripletId?: number;
  clientPasses: ClientPasses | undefined;
}

/** A client as auto-allow counts it: its exact address, or its network (setting autoAllowBy). */
export interface ClientPasses {
  client: string;
  /** Distinct triplets whose first retry passed after the delay, at most one counted per hour. */
  passes: number;
  /** 0 while none has been counted. */
  lastCountedAt: number;
  lastSeen: number;
}

export type AttemptAction = 'defer' | 'pass' | 'allow' | 'reject' | 'error';

export interface AttemptRecord {
  at: number;
  clientAddress: string;
  clientName: string;
  helo: string;
  sender: string;
  recipient: string;
  queueId: string;
  action: AttemptAction;
  /** What decided: a rule or triplet state code such as "triplet-early" or "allow-list". */
  reason: string;
  /** The rule that decided, e.g. "client-address 192.0.2.0/24 (#12)", or the triplet's key. */
  rule: string;
  /** For a pass: seconds the mail was delayed. For a defer: seconds until a retry passes. */
  delay: number | null;
}

export interface DecisionWrite {
  attempt: AttemptRecord;
  /**
   * With `id`, the row that was read: updated in place rather than looked up by key again. `from`
   * is the state the decision was made from: a store shared by several filters adds only what
   * this attempt changed, so that two filters deciding on one triplet at once lose no count.
   */
  triplet?: { key: TripletKey; state: TripletState; id?: number; from?: TripletState };
  clientPasses?: ClientPasses;
  /** As the triplet's `from`: the client's record the decision was made from. */
  clientPassesFrom?: ClientPasses;
  listHit?: { entryId: number; at: number };
}

export interface PolicySnapshot {
  version: number;
  settings: Settings;
  /** Stored settings that no longer validate, each replaced by its default. */
  problems: string[];
  /** Every list entry, compacted for lookups. */
  lists: ListTables;
}

export interface ExpiryLimits {
  now: number;
  settings: Pick<Settings, 'retryWindow' | 'maxAge' | 'logRetention'>;
  /** Rows deleted per call at most, so that one call stays short. */
  batch: number;
}

export interface StringCollection {
  deleted: number;
  more: boolean;
}

export interface FilterPresence {
  pid: number;
  host: string;
  endpoints: { tcp?: string; unix?: string };
  version: string;
  startedAt: number;
  seenAt: number;
}

/** The store cannot be reached (a network database down): answered per failMode, said once, counted. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** A value now, or later: SQLite answers at once, a network database later. */
export type MaybePromise<T> = T | Promise<T>;

export interface FilterStore {
  readPolicy(): Promise<PolicySnapshot>;
  policyVersion(): Promise<number>;
  /**
   * A triplet and its client's passes (`client` as ClientPasses names it), in one read (one round
   * trip for a network database). Asked for every recipient, so a store that can answer at once
   * does: the filter then answers without a turn of the event loop.
   */
  findGreylistState(key: TripletKey, client: string): MaybePromise<GreylistState>;
  /** Writes a batch of decisions atomically: all of them or none. */
  commit(writes: readonly DecisionWrite[]): Promise<void>;
  /** Deletes at most `batch` expired rows of each kind; returns how many went. */
  expire(limits: ExpiryLimits): Promise<number>;
  /**
   * One short step of deleting the texts no attempt or triplet names any more, when one is due
   * (daily); `more` while the collection wants further steps.
   */
  collectStrings(now: number): Promise<StringCollection>;
  /**
   * Says this filter serves the database (refreshed while it runs), or that it stopped. A store
   * shared by several hosts answers how far this host's clock is off the database's, in seconds.
   */
  announce(presence: FilterPresence, running: boolean): Promise<{ clockOffset?: number } | void>;
  /** Calls `changed` as soon as another process changes lists or settings, where the store can tell (else they are polled). */
  watchPolicy?(changed: () => void): void;
  close(): Promise<void>;
}

export interface ListQuery {
  list?: ListName;
  search?: string;
}

export interface AdminStore {
  listEntries(query?: ListQuery): Promise<ListEntry[]>;
  /** Adds all the entries or none; an entry already present is kept and counted as a duplicate. */
  addEntries(entries: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }>;
  /** Changes an entry's pattern, comment or expiry with the checks of addEntries; throws with the reason, changing nothing. */
  editEntry(id: number, change: ListEntryChange, now: number): Promise<ListEntry>;
  removeEntries(ids: readonly number[]): Promise<number>;
  storedSettings(): Promise<Partial<Record<SettingKey, unknown>>>;
  /** Writes the whole change or nothing; refuses (SettingsRefused) settings that do not work together. */
  changeSettings(changes: Partial<Record<string, unknown>>, resets: readonly SettingKey[], now: number): Promise<SettingsChangePlan>;
  setSetting<K extends SettingKey>(key: K, value: Settings[K], now: number): Promise<void>;
}
