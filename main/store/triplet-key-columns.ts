import type { SqliteDatabase } from './database.js';

const READ_CHUNK = 100_000;

/**
 * The string ids of every triplet's key, by triplet id, in memory (12 bytes a triplet): a search
 * of the greylist tests these against the strings that matched, instead of reading the table. A
 * key never changes once written; rows deleted since are still here, so callers read the rows
 * they show from the table.
 */
export class TripletKeyColumns {
  private senders = new Int32Array(1024);
  private recipients = new Int32Array(1024);
  private groups = new Int32Array(1024);
  private lastId = 0;

  constructor(private readonly db: SqliteDatabase) {}

  /**
   * Reads the triplets added since the last call. SQLite hands out the id after the largest one, so
   * an id is used again only after the newest rows were deleted: then the last one read differs.
   */
  catchUp(): void {
    if (this.lastId > 0) {
      const row = this.db.prepare('SELECT sender, recipient, client_group FROM triplets WHERE id = ?').raw().get(this.lastId) as [number, number, number] | undefined;
      if (!row) {
        // The newest rows were deleted: forget them, so that the ids they free are read again when used.
        this.lastId = Math.min(this.lastId, this.db.prepare('SELECT coalesce(max(id), 0) FROM triplets').pluck().get() as number);
      } else if (row[0] !== this.senders[this.lastId] || row[1] !== this.recipients[this.lastId] || row[2] !== this.groups[this.lastId]) {
        this.reset();
      }
    }
    const read = this.db.prepare('SELECT id, sender, recipient, client_group FROM triplets WHERE id > ? ORDER BY id LIMIT ?').raw();
    for (;;) {
      const rows = read.all(this.lastId, READ_CHUNK) as Array<[number, number, number, number]>;
      if (rows.length === 0) break;
      this.grow(rows.at(-1)![0] + 1);
      for (const [id, sender, recipient, group] of rows) {
        this.senders[id] = sender;
        this.recipients[id] = recipient;
        this.groups[id] = group;
      }
      this.lastId = rows.at(-1)![0];
      if (rows.length < READ_CHUNK) break;
    }
  }

  /** Ids of the triplets whose sender, recipient or client group is one of the strings `hit` marks. */
  matching(hit: Uint8Array): number[] {
    const found: number[] = [];
    const { senders, recipients, groups } = this;
    for (let id = 1; id <= this.lastId; id++) {
      if (hit[senders[id]!] || hit[recipients[id]!] || hit[groups[id]!]) found.push(id);
    }
    return found;
  }

  private reset(): void {
    this.senders.fill(0);
    this.recipients.fill(0);
    this.groups.fill(0);
    this.lastId = 0;
  }

  private grow(size: number): void {
    if (size <= this.senders.length) return;
    const length = Math.max(size, this.senders.length * 2);
    const bigger = (old: Int32Array) => {
      const next = new Int32Array(length);
      next.set(old);
      return next;
    };
    this.senders = bigger(this.senders);
    this.recipients = bigger(this.recipients);
    this.groups = bigger(this.groups);
  }
}
