import type { Statement } from 'better-sqlite3';
import { FIXED_STRINGS } from './compact-log.js';
import type { SqliteDatabase } from './database.js';
import type { StringTable } from './string-table.js';

/** How often the strings no row names any more are deleted. */
export const STRING_COLLECTION_INTERVAL = 86_400;
/** Rows read (or strings looked at) per step: about ten milliseconds on the writer's thread, which commits in between. */
const DEFAULT_STEP_ROWS = 10_000;

const ATTEMPT_REFERENCES = 'client_address, client_name, helo, sender, recipient, action, reason, rule, client_group, key_sender, key_recipient';
const TRIPLET_REFERENCES = 'sender, recipient, client_group';
/** A filter whose heartbeat is this recent is running (filters refresh theirs every few seconds). */
const PRESENCE_FRESH_SECONDS = 60;

type Phase =
  | { name: 'idle' }
  | { name: 'marking'; table: 'attempts' | 'triplets'; after: number; upTo: number }
  | { name: 'sweeping'; after: number };

/**
 * Deletes, once a day, the strings that no attempt or triplet names any more (the log and the
 * greylist expire; their texts would otherwise stay for ever). A mark-and-sweep in short steps
 * run between commits on the writer's connection: rows that exist when it starts are read in
 * slices, and every id the writer uses meanwhile is marked as it is used (see StringTable), so a
 * string is deleted only if nothing named it from the start to its deletion. Another filter
 * writing the same database hands out ids this one cannot see: while one runs, nothing is collected.
 */
export class StringCollector {
  private phase: Phase = { name: 'idle' };
  private marked = new Uint8Array(0);
  private lastStringId = 0;
  private readonly lastCollected: Statement<[]>;
  private readonly runningFilters: Statement<[number]>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly strings: StringTable,
    private readonly stepRows = DEFAULT_STEP_ROWS,
  ) {
    this.lastCollected = db.prepare("SELECT value FROM meta WHERE key = 'strings_collected_at'").pluck();
    this.runningFilters = db.prepare('SELECT count(*) FROM filter_presence WHERE seen_at >= ?').pluck();
  }

  /** Does one step if a collection is due or under way; returns how many strings it deleted, and whether more steps are wanted. */
  step(now: number): { deleted: number; more: boolean } {
    if ((this.runningFilters.get(now - PRESENCE_FRESH_SECONDS) as number) > 1) {
      this.stop();
      return { deleted: 0, more: false };
    }
    if (this.phase.name === 'idle') {
      const last = (this.lastCollected.get() as number | undefined) ?? 0;
      if (now - last < STRING_COLLECTION_INTERVAL) return { deleted: 0, more: false };
      this.start();
    }
    const phase = this.phase;
    if (phase.name === 'marking') this.mark(phase);
    else if (phase.name === 'sweeping') return this.sweep(phase, now);
    return { deleted: 0, more: true };
  }

  private start(): void {
    const one = (sql: string) => (this.db.prepare(sql).pluck().get() as number | null) ?? 0;
    this.lastStringId = one('SELECT max(id) FROM strings');
    this.marked = new Uint8Array(this.lastStringId + 1);
    for (let id = 1; id <= FIXED_STRINGS.length && id <= this.lastStringId; id++) this.marked[id] = 1;
    this.strings.onUse = (id) => {
      if (id < this.marked.length) this.marked[id] = 1;
    };
    this.phase = { name: 'marking', table: 'attempts', after: 0, upTo: one('SELECT max(id) FROM attempts') };
  }

  private mark(phase: Extract<Phase, { name: 'marking' }>): void {
    const columns = phase.table === 'attempts' ? ATTEMPT_REFERENCES : TRIPLET_REFERENCES;
    const rows = this.db
      .prepare(`SELECT id, ${columns} FROM ${phase.table} WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`)
      .raw()
      .all(phase.after, phase.upTo, this.stepRows) as Array<Array<number | null>>;
    for (const row of rows) {
      for (let i = 1; i < row.length; i++) {
        const id = row[i];
        if (id !== null && id !== undefined && id < this.marked.length) this.marked[id] = 1;
      }
    }
    if (rows.length === this.stepRows) {
      this.phase = { ...phase, after: rows.at(-1)![0]! };
    } else if (phase.table === 'attempts') {
      this.phase = { name: 'marking', table: 'triplets', after: 0, upTo: (this.db.prepare('SELECT coalesce(max(id), 0) FROM triplets').pluck().get() as number) };
    } else {
      // From here a cached id may name a string about to go: ids are looked up again, and marked when found.
      this.strings.forget();
      this.phase = { name: 'sweeping', after: 0 };
    }
  }

  private sweep(phase: Extract<Phase, { name: 'sweeping' }>, now: number): { deleted: number; more: boolean } {
    const end = Math.min(phase.after + this.stepRows, this.lastStringId);
    const unmarked: number[] = [];
    for (let id = phase.after + 1; id <= end; id++) if (!this.marked[id]) unmarked.push(id);
    const remove = this.db.prepare('DELETE FROM strings WHERE id IN (SELECT value FROM json_each(?))');
    const deleted = unmarked.length > 0 ? remove.run(JSON.stringify(unmarked)).changes : 0;
    if (end < this.lastStringId) {
      this.phase = { name: 'sweeping', after: end };
      return { deleted, more: true };
    }
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('strings_collected_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(now);
    this.stop();
    return { deleted, more: false };
  }

  /** Ends a collection (done, or given up: it starts from the beginning next time). */
  private stop(): void {
    this.strings.onUse = undefined;
    this.marked = new Uint8Array(0);
    this.phase = { name: 'idle' };
  }
}
