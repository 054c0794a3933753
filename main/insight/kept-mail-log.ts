import type { SqliteDatabase } from '../store/database.js';
import { scanMails, type GrowingMailScan, type MailChunk, type MailScan } from '../store/mail-scan.js';

const CHUNK = 65_536;

/**
 * The attempt log as the impact replay reads it, kept between previews: an administrator tries
 * one setting after another, and each preview reads only the rows the filter wrote since the last
 * (about 30 bytes a row). Rows the log expired are dropped; a log emptied and filled again, a
 * change of how mails are keyed, or a preview of an earlier time, starts the copy over. The grey list's matches are not kept:
 * they change with the list.
 */
export class KeptMailLog {
  private scan: GrowingMailScan | undefined;
  private keyedBy: unknown;
  /** Where the copy starts: the earliest time a preview asked for (undefined: the whole log). */
  private since: number | undefined;
  private first = 0;
  private length = 0;
  private ids = new Float64Array(CHUNK);
  private at = new Float64Array(CHUNK);
  private kinds = new Uint8Array(CHUNK);
  private clients = new Int32Array(CHUNK);
  private mails = new Int32Array(CHUNK);
  private triplets = new Int32Array(CHUNK);
  private maxTripletId = 0;
  /** The last row read, to tell a log that was emptied and filled again. */
  private lastRead: { id: number; at: number } | undefined;
  /** The chunks of a copy being made a step at a time (see warm). */
  private warming: Generator<MailChunk> | undefined;

  constructor(private readonly db: SqliteDatabase) {}

  /**
   * The rows at or after `since`, brought up to date. `keyedBy`: what the mail key depends on;
   * `mailKey` keys the mails of a new copy.
   */
  read(since: number | undefined, keyedBy: unknown, mailKey: (sender: string, recipient: string) => { sender: string; recipient: string }): MailScan {
    const earlier = this.since !== undefined && (since === undefined || since < this.since);
    let scan = this.scan;
    if (!scan || keyedBy !== this.keyedBy || earlier || !this.stillHolds(scan)) {
      scan = this.start(since, keyedBy, mailKey);
      this.append(scan.chunks());
    } else {
      if (this.warming) this.append(this.warming);
      this.warming = undefined;
      this.append(scan.more());
    }
    this.dropExpired(scan.firstId());
    const start = since === undefined ? this.first : this.firstAt(since);
    const kept = this;
    return {
      maxTripletId: Math.max(this.maxTripletId, scan.maxTripletId),
      clients: scan.clients,
      mailCount: () => scan.mailCount(),
      *chunks() {
        yield* kept.slices(start, since ?? Number.NEGATIVE_INFINITY);
      },
    };
  }

  /**
   * Copies one more chunk of the whole log ahead of the first preview, so that it reads only what
   * came since; false once the copy is complete (or already was). A preview meanwhile finishes it.
   */
  warm(keyedBy: unknown, mailKey: (sender: string, recipient: string) => { sender: string; recipient: string }): boolean {
    if (!this.scan) this.warming = this.start(undefined, keyedBy, mailKey).chunks();
    if (!this.warming) return false;
    const next = this.warming.next();
    if (next.done) {
      this.warming = undefined;
      return false;
    }
    this.append([next.value]);
    return true;
  }

  private start(since: number | undefined, keyedBy: unknown, mailKey: (sender: string, recipient: string) => { sender: string; recipient: string }): GrowingMailScan {
    this.scan = scanMails(this.db, since === undefined ? { mailKey } : { mailKey, since });
    this.keyedBy = keyedBy;
    this.since = since;
    this.first = this.length = this.maxTripletId = 0;
    this.lastRead = undefined;
    this.warming = undefined;
    return this.scan;
  }

  /** The last row kept is still in the log as it was. */
  private stillHolds(scan: GrowingMailScan): boolean {
    return !this.lastRead || scan.atOf(this.lastRead.id) === this.lastRead.at;
  }

  private append(chunks: Iterable<MailChunk>): void {
    for (const chunk of chunks) {
      this.reserve(chunk.length);
      const at = this.length;
      this.ids.set(chunk.ids!.subarray(0, chunk.length), at);
      this.at.set(chunk.at.subarray(0, chunk.length), at);
      this.kinds.set(chunk.kinds.subarray(0, chunk.length), at);
      this.clients.set(chunk.clients.subarray(0, chunk.length), at);
      this.mails.set(chunk.mails.subarray(0, chunk.length), at);
      this.triplets.set(chunk.triplets.subarray(0, chunk.length), at);
      for (let i = 0; i < chunk.length; i++) if (chunk.triplets[i]! > this.maxTripletId) this.maxTripletId = chunk.triplets[i]!;
      this.length += chunk.length;
      this.lastRead = { id: chunk.ids![chunk.length - 1]!, at: chunk.at[chunk.length - 1]! };
    }
  }

  /** Room for `more` rows at the end, moving the live rows to the front first. */
  private reserve(more: number): void {
    if (this.length + more <= this.ids.length) return;
    const live = this.length - this.first;
    let size = this.ids.length;
    while (live + more > size) size *= 2;
    const moved = <T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(array: T): T => {
      const into = size === array.length ? array : (new (array.constructor as new (n: number) => T)(size) as T);
      into.set(array.subarray(this.first, this.length), 0);
      return into;
    };
    this.ids = moved(this.ids);
    this.at = moved(this.at);
    this.kinds = moved(this.kinds);
    this.clients = moved(this.clients);
    this.mails = moved(this.mails);
    this.triplets = moved(this.triplets);
    this.first = 0;
    this.length = live;
  }

  private dropExpired(firstId: number): void {
    this.first = this.search(this.first, (i) => this.ids[i]! >= firstId);
  }

  /** The first kept row at or after `since` (the log is in time order, as attemptIdAt takes it). */
  private firstAt(since: number): number {
    return this.search(this.first, (i) => this.at[i]! >= since);
  }

  private search(low: number, reached: (i: number) => boolean): number {
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (reached(middle)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** The kept rows from `start` whose time is not before `since`, in chunks the replay reads. */
  private *slices(start: number, since: number): Generator<MailChunk> {
    const chunk: MailChunk = {
      length: 0,
      at: new Float64Array(CHUNK),
      kinds: new Uint8Array(CHUNK),
      clients: new Int32Array(CHUNK),
      mails: new Int32Array(CHUNK),
      triplets: new Int32Array(CHUNK),
      grey: new Uint8Array(CHUNK),
    };
    for (let from = start; from < this.length; from += CHUNK) {
      const to = Math.min(this.length, from + CHUNK);
      let n = 0;
      for (let i = from; i < to; i++) {
        const at = this.at[i]!;
        if (at < since) continue;
        chunk.at[n] = at;
        chunk.kinds[n] = this.kinds[i]!;
        chunk.clients[n] = this.clients[i]!;
        chunk.mails[n] = this.mails[i]!;
        chunk.triplets[n] = this.triplets[i]!;
        n++;
      }
      chunk.length = n;
      if (n > 0) yield chunk;
    }
  }
}
