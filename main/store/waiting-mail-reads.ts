import type { Statement } from 'better-sqlite3';
import { attemptIdAt } from './compact-log.js';
import type { SqliteDatabase } from './database.js';

/**
 * The integer reads behind the waiting-mail model (main/insight/waiting-mail.ts): rows come as
 * numbers in id ranges, and texts only for the ids asked for, so that a million rows never
 * become a million objects.
 */

/** Rows per read: a range of ids, so that each read is a short walk of the primary key. */
const CHUNK_IDS = 65_536;
/** Ids per IN list: json_each of a few thousand numbers parses in well under a millisecond. */
const IDS_PER_READ = 8_192;

/** A triplet as integers; passedAt is -1 for a triplet that has not passed. */
export interface TripletInts {
  id: number;
  sender: number;
  recipient: number;
  clientGroup: number;
  firstSeen: number;
  lastSeen: number;
  passedAt: number;
}

/** Triplets as columns, one array per field; times relative to the `since` of the read. */
export type TripletColumns = { [K in keyof Omit<TripletInts, 'passedAt'>]: number[] };

/** Attempts on triplets as columns, in log order; times relative to the `base` of the read. */
export interface AttemptColumns {
  id: number[];
  at: number[];
  tripletId: number[];
  clientName: number[];
}

/** What evidence and the lists need of an attempt, as string ids. */
export interface AttemptTextIds {
  id: number;
  clientAddress: number;
  clientName: number;
  sender: number;
  recipient: number;
  action: number;
  reason: number;
  /** In a copy of a shared database: the filter that decided. */
  filter: number | null;
}

type Row = number[];

function* inChunks<T>(ids: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < ids.length; i += size) yield ids.slice(i, i + size);
}

export class WaitingMailReads {
  private readonly editsStmt: Statement;
  private readonly lastAttemptStmt: Statement;
  private readonly tripletIdsStmt: Statement;
  private readonly attemptColumns: Statement[];
  private readonly attemptTextsStmt: Statement;
  private readonly textsStmt: Statement;
  private readonly lastPassStmt: Statement;

  constructor(private readonly db: SqliteDatabase) {
    this.editsStmt = db.prepare("SELECT value FROM meta WHERE key = 'triplet_edits'").pluck();
    this.lastAttemptStmt = db.prepare('SELECT max(id) FROM attempts').pluck();
    const tripletColumns = 'triplets.id, sender, recipient, client_group, first_seen, last_seen, coalesce(passed_at, -1)';
    this.tripletIdsStmt = db.prepare(`SELECT ${tripletColumns} FROM json_each(?) AS j CROSS JOIN triplets ON triplets.id = j.value`).raw();
    this.attemptColumns = ['id', 'at - @base', 'triplet_id', 'client_name'].map((expression) =>
      db.prepare(`SELECT ${expression} FROM attempts WHERE id >= @from AND id < @to AND triplet_id IS NOT NULL ORDER BY id`).pluck(),
    );
    this.attemptTextsStmt = db
      .prepare('SELECT a.id, client_address, client_name, sender, recipient, action, reason, filter FROM json_each(?) AS j CROSS JOIN attempts a ON a.id = j.value')
      .raw();
    this.textsStmt = db.prepare('SELECT s.id, s.text FROM json_each(?) AS j CROSS JOIN strings s ON s.id = j.value').raw();
    // Through the key's index: a mail's triplets lie together.
    this.lastPassStmt = db.prepare('SELECT max(last_seen) FROM triplets WHERE sender = ? AND recipient = ? AND passed_at IS NOT NULL').pluck();
  }

  /** Moves whenever the administration edits triplets (e.g. "pass now"). */
  tripletEdits(): number {
    return (this.editsStmt.get() as number | undefined) ?? 0;
  }

  lastAttemptId(): number {
    return (this.lastAttemptStmt.get() as number | null) ?? 0;
  }

  /** The first attempt id at or after `at`. */
  attemptIdAt(at: number): number {
    return attemptIdAt(this.db, at);
  }

  /**
   * Every triplet that is `kind` ("waiting": not passed, first seen since `since`; "passed": last
   * seen since `since`), a range of ids at a time, as columns: one plucked integer per row and
   * column, times relative to `since`, so that no row becomes an array or a boxed number.
   */
  *tripletColumns(kind: 'waiting' | 'passed', since: number): Generator<TripletColumns> {
    const last = (this.db.prepare('SELECT max(id) FROM triplets').pluck().get() as number | null) ?? 0;
    const where = kind === 'waiting' ? 'passed_at IS NULL AND first_seen >= @since' : 'passed_at IS NOT NULL AND last_seen >= @since';
    const column = (expression: string) => this.db.prepare(`SELECT ${expression} FROM triplets WHERE id > @from AND id <= @to AND ${where} ORDER BY id`).pluck();
    const statements = {
      id: column('id'),
      sender: column('sender'),
      recipient: column('recipient'),
      clientGroup: column('client_group'),
      firstSeen: column('first_seen - @since'),
      lastSeen: column('last_seen - @since'),
    };
    for (let from = 0; from < last; from += CHUNK_IDS) {
      const params = { from, to: from + CHUNK_IDS, since };
      const read = (name: keyof typeof statements) => statements[name].all(params) as number[];
      yield { id: read('id'), sender: read('sender'), recipient: read('recipient'), clientGroup: read('clientGroup'), firstSeen: read('firstSeen'), lastSeen: read('lastSeen') };
    }
  }

  tripletsByIds(ids: readonly number[]): TripletInts[] {
    const rows: TripletInts[] = [];
    for (const chunk of inChunks(ids, IDS_PER_READ)) for (const row of this.tripletIdsStmt.all(JSON.stringify(chunk)) as Row[]) rows.push(tripletOf(row));
    return rows;
  }

  /** Attempts on triplets with ids in [from, to), in log order, a range at a time, as columns (times relative to `base`). */
  *attempts(from: number, to: number, base: number): Generator<AttemptColumns> {
    for (let start = from; start < to; start += CHUNK_IDS) {
      const params = { from: start, to: Math.min(to, start + CHUNK_IDS), base };
      const read = (statement: Statement) => statement.all(params) as number[];
      const [id, at, tripletId, clientName] = this.attemptColumns.map(read) as [number[], number[], number[], number[]];
      yield { id, at, tripletId, clientName };
    }
  }

  attemptTextIds(ids: readonly number[]): Map<number, AttemptTextIds> {
    const found = new Map<number, AttemptTextIds>();
    for (const chunk of inChunks(ids, IDS_PER_READ)) {
      for (const [id, clientAddress, clientName, sender, recipient, action, reason, filter] of this.attemptTextsStmt.all(JSON.stringify(chunk)) as Array<Array<number | null>>) {
        found.set(id!, { id: id!, clientAddress: clientAddress!, clientName: clientName!, sender: sender!, recipient: recipient!, action: action!, reason: reason!, filter: filter ?? null });
      }
    }
    return found;
  }

  /** The texts of string ids, added to `into`. */
  texts(ids: Iterable<number>, into: Map<number, string>): Map<number, string> {
    // In id order: neighbouring ids share the pages of the primary key.
    const wanted = [...new Set(ids)].filter((id) => !into.has(id)).sort((a, b) => a - b);
    for (const chunk of inChunks(wanted, IDS_PER_READ)) for (const [id, text] of this.textsStmt.all(JSON.stringify(chunk)) as Array<[number, string]>) into.set(id, text);
    return into;
  }

  /** When the mail of `sender` and `recipient` last got through from any network, or -1. */
  lastPass(sender: number, recipient: number): number {
    return (this.lastPassStmt.get(sender, recipient) as number | null) ?? -1;
  }
}

function tripletOf(row: Row): TripletInts {
  return { id: row[0]!, sender: row[1]!, recipient: row[2]!, clientGroup: row[3]!, firstSeen: row[4]!, lastSeen: row[5]!, passedAt: row[6]! };
}
