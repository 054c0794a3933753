import { NumberMap } from '../../shared/number-map.js';
import { attemptIdAt, stringIds } from './compact-log.js';
import type { SqliteDatabase } from './database.js';
import { reasonKindSql } from './insight-queries.js';

/**
 * The attempt log as a replay under other settings needs it: every attempt that reached
 * greylisting (or was let in before it, by auto-allow or the mode), in log order, as integers.
 * The log stores its texts once and names them by id; the scan works on those ids, reads a text
 * only for a client, sender or recipient it has not met yet, and numbers clients and mails as
 * they first appear, so that a million rows cost a few integers each and a string per new name.
 */

/** What an attempt was in the log; the filter's reasons folded into what a replay needs. */
export const MAIL_KIND = { firstContact: 0, retry: 1, passed: 2, known: 3, autoAllowed: 4, notGreyListed: 5 } as const;

/** The kind of each reason the filter logs; any other reason on a triplet is a retry. */
export const MAIL_REASON_KINDS: Readonly<Record<string, number>> = {
  early: MAIL_KIND.retry,
  passed: MAIL_KIND.passed,
  known: MAIL_KIND.known,
  new: MAIL_KIND.firstContact,
  'window-expired': MAIL_KIND.firstContact,
  'max-age-expired': MAIL_KIND.firstContact,
  'auto-allowed': MAIL_KIND.autoAllowed,
  'not-grey-listed': MAIL_KIND.notGreyListed,
};

/** A slice of the log; the arrays are reused from one chunk to the next. */
export interface MailChunk {
  length: number;
  /** The attempts' ids (the log's own chunks have them). */
  ids?: Float64Array;
  at: Float64Array;
  kinds: Uint8Array;
  /** Index into MailScan.clients. */
  clients: Int32Array;
  /** The mail's number: the same for every attempt with the same sender and recipient. */
  mails: Int32Array;
  /** The triplet the log recorded it on; 0 for an attempt let in before greylisting. */
  triplets: Int32Array;
  /** With greyListed asked for: 1 where the grey list matches the attempt. */
  grey: Uint8Array;
}

/** The strings of an attempt the grey list looks at. */
export interface AttemptSubject {
  clientAddress: string;
  clientName: string;
  sender: string;
  recipient: string;
}

export interface MailScanOptions {
  since?: number;
  /** The mail of a sender and recipient as the client gave them: a triplet's key without its client group. */
  mailKey(sender: string, recipient: string): { sender: string; recipient: string };
  /** Reads each attempt's match with the grey list as it is now. */
  greyListed?(subject: AttemptSubject): boolean;
  /**
   * The grey list matches a subject exactly when it matches one of its fields alone (the others
   * empty): then each distinct address, name, sender and recipient is asked once, not each
   * combination of them.
   */
  greyListedByField?: boolean;
}

export interface MailScan {
  /** The highest triplet id of the rows read (or about to be read). */
  readonly maxTripletId: number;
  /** Client addresses by number; grows while the chunks are read. */
  clients: string[];
  /** How many mails were numbered so far. */
  mailCount(): number;
  chunks(): Generator<MailChunk>;
}

/** A scan that reads on: the rows appended since, numbered alike. */
export interface GrowingMailScan extends MailScan {
  /** The rows appended since the chunks (or more) last read. */
  more(): Generator<MailChunk>;
  /** The log's first id now: rows before it have expired. */
  firstId(): number;
  /** The time of the row `id`, to tell a log that was emptied and filled again. */
  atOf(id: number): number | undefined;
}

const CHUNK_IDS = 65_536;
const YEAR = 365 * 86_400;
const one = (db: SqliteDatabase, sql: string) => db.prepare(sql).pluck().get() as number | null;

/** Dense numbers for pairs of text ids (or of texts the log does not hold). */
class PairNumbers {
  private readonly packed = new NumberMap();
  private readonly spelled = new Map<string, number>();

  constructor(private readonly idSpan: number) {}

  get size(): number {
    return this.packed.size + this.spelled.size;
  }

  /** The number of two ids packed as first * idSpan + second. */
  numberOfPacked(key: number): number {
    let n = this.packed.get(key);
    if (n === -1) this.packed.set(key, (n = this.size));
    return n;
  }

  number(first: number | string, second: number | string): number {
    if (typeof first === 'number' && typeof second === 'number' && first < this.idSpan && second < this.idSpan) {
      const key = first * this.idSpan + second;
      let n = this.packed.get(key);
      if (n === -1) this.packed.set(key, (n = this.size));
      return n;
    }
    const key = `${typeof first}:${first}\n${typeof second}:${second}`;
    let n = this.spelled.get(key);
    if (n === undefined) this.spelled.set(key, (n = this.size));
    return n;
  }
}

function grown(array: Int32Array<ArrayBuffer>, index: number): Int32Array<ArrayBuffer> {
  let size = Math.max(1, array.length);
  while (size <= index) size *= 2;
  const wider = new Int32Array(size).fill(-1);
  wider.set(array);
  return wider;
}

export function scanMails(db: SqliteDatabase, options: MailScanOptions): GrowingMailScan {
  const minAt = one(db, 'SELECT at FROM attempts ORDER BY id LIMIT 1') ?? 0;
  // The log is in time order: no row is a year older than its first one.
  const since = options.since ?? minAt - YEAR;
  const firstId = options.since === undefined ? 0 : attemptIdAt(db, since) - 1;
  // Two text ids pack into one number, with room for texts stored while the scan runs; a log of
  // tens of millions of texts reads its pairs as arrays instead.
  const maxStringId = one(db, 'SELECT max(id) FROM strings') ?? 0;
  const idSpan = 2 ** Math.ceil(Math.log2(2 * maxStringId + 2));
  const pairsPack = idSpan * idSpan <= Number.MAX_SAFE_INTEGER;
  // For a row whose rule was kept as text: a triplet's stored sender and recipient are its mail; one
  // expired since is read from its first attempt's envelope (negated, to tell them apart).
  const tripletKey = (column: string) =>
    `coalesce((SELECT ${column} FROM triplets WHERE id = value), -1 - (SELECT ${column} FROM attempts WHERE triplet_id = value ORDER BY id LIMIT 1))`;
  const tripletKeysOf = pairsPack
    ? db.prepare(`SELECT ${tripletKey(`sender * ${idSpan} + recipient`)} FROM json_each(?) ORDER BY key`).pluck()
    : db.prepare(`SELECT ${tripletKey('sender')}, ${tripletKey('recipient')} FROM json_each(?) ORDER BY key`).raw();
  // The ids' list first, so that the texts come in its order; a text deleted meanwhile reads as empty.
  const textsOf = db.prepare("SELECT coalesce(s.text, '') FROM json_each(?) j LEFT JOIN strings s ON s.id = j.value").pluck();
  const textOf = db.prepare('SELECT text FROM strings WHERE id = ?').pluck();
  const idOf = db.prepare('SELECT id FROM strings WHERE text = ?').pluck();

  const mails = new PairNumbers(idSpan);
  /** The id of a normalised text: the original's when it is the same, else the log's, else the text itself. */
  const idOrText = (text: string, id: number, original: string) => (text === original ? id : ((idOf.get(text) as number | undefined) ?? text));
  /** The mail of an envelope sender and recipient, as the filter keys it. */
  const envelopeMails = new Map<number | string, number>();
  const envelopeMail = (sender: number, recipient: number) => {
    const pair = pairsPack ? sender * idSpan + recipient : `${sender},${recipient}`;
    let mail = envelopeMails.get(pair);
    if (mail === undefined) {
      const senderText = textOf.get(sender) as string;
      const recipientText = textOf.get(recipient) as string;
      const key = options.mailKey(senderText, recipientText);
      mail = mails.number(idOrText(key.sender, sender, senderText), idOrText(key.recipient, recipient, recipientText));
      envelopeMails.set(pair, mail);
    }
    return mail;
  };
  let maxTripletId = one(db, 'SELECT max(triplet_id) FROM attempts') ?? 0;
  let mailOfTriplet = new Int32Array(maxTripletId + 1).fill(-1);
  type TripletKey = number | [number | null, number | null] | null;
  const tripletMail = (id: number, key: TripletKey | undefined) => {
    if (typeof key === 'number') {
      const packed = key < 0 ? -1 - key : key;
      const [sender, recipient] = [Math.floor(packed / idSpan), packed % idSpan];
      return key < 0 ? envelopeMail(sender, recipient) : mails.number(sender, recipient);
    }
    const [sender, recipient] = key ?? [null, null];
    // Its rows were expired between two reads: a mail of its own.
    if (sender === null || recipient === null) return mails.number('expired while read', id);
    return sender < 0 ? envelopeMail(-1 - sender, -1 - recipient) : mails.number(sender, recipient);
  };
  const readTripletMails = (ids: number[]) => {
    const keys = tripletKeysOf.all(JSON.stringify(ids)) as TripletKey[];
    for (let i = 0; i < ids.length; i++) mailOfTriplet[ids[i]!] = tripletMail(ids[i]!, keys[i]);
  };

  const clients: string[] = [];
  let clientOfAddress = new Int32Array(1024).fill(-1);
  const readClients = (addresses: number[]) => {
    const texts = textsOf.all(JSON.stringify(addresses)) as string[];
    for (let i = 0; i < addresses.length; i++) {
      clientOfAddress[addresses[i]!] = clients.length;
      clients.push(texts[i]!);
    }
  };

  const grey = options.greyListed && greyMatcher(options.greyListed, options.greyListedByField ?? false, (id) => textOf.get(id) as string);

  // Prepared for each read: the reasons' ids are read again, as a log may store a reason for the first time.
  const statements = () => {
    const untrackedReasons = [...stringIds(db, ['auto-allowed', 'not-grey-listed']).values()].join(', ') || 'NULL';
    // Rows appended while the scan runs are left to the next one.
    const where = `WHERE id > @from AND id <= @to AND id <= @last AND at >= @since AND (triplet_id IS NOT NULL OR reason IN (${untrackedReasons}))`;
    const KIND_SQL = reasonKindSql(db, MAIL_REASON_KINDS, MAIL_KIND.retry);
    // One number per row and statement: better-sqlite3 makes an array for each row of several columns.
    const packedRowsOf = db.prepare(`SELECT ((at - @base) * @span + coalesce(triplet_id, 0)) * 8 + ${KIND_SQL} FROM attempts ${where} ORDER BY id`).pluck();
    const rowsOf = db.prepare(`SELECT coalesce(triplet_id, 0), at, ${KIND_SQL} FROM attempts ${where} ORDER BY id`).raw();
    // With the row's place in its chunk, which a kept copy of the log needs to drop the rows expired since.
    const addressesOf = db.prepare(`SELECT client_address * ${2 * CHUNK_IDS} + (id - @from) FROM attempts ${where} ORDER BY id`).pluck();
    const untrackedOf = db.prepare(`SELECT sender, recipient FROM attempts ${where} AND triplet_id IS NULL ORDER BY id`).raw();
    const namesOf = db.prepare(`SELECT client_name FROM attempts ${where} ORDER BY id`).pluck();
    const sendersOf = db.prepare(`SELECT sender FROM attempts ${where} ORDER BY id`).pluck();
    const recipientsOf = db.prepare(`SELECT recipient FROM attempts ${where} ORDER BY id`).pluck();
    // A row decided on a triplet names the triplet's key: its mail, even once the triplet expired or its id was taken again.
    const keysOf = pairsPack
      ? db.prepare(`SELECT CASE WHEN rule IS NULL AND triplet_id IS NOT NULL THEN coalesce(key_sender, sender) * ${idSpan} + coalesce(key_recipient, recipient) ELSE -1 END FROM attempts ${where} ORDER BY id`).pluck()
      : undefined;
    return { packedRowsOf, rowsOf, addressesOf, keysOf, untrackedOf, namesOf, sendersOf, recipientsOf };
  };
  const chunk: MailChunk & { ids: Float64Array } = {
    length: 0,
    ids: new Float64Array(CHUNK_IDS),
    at: new Float64Array(CHUNK_IDS),
    kinds: new Uint8Array(CHUNK_IDS),
    clients: new Int32Array(CHUNK_IDS),
    mails: new Int32Array(CHUNK_IDS),
    triplets: new Int32Array(CHUNK_IDS),
    grey: new Uint8Array(CHUNK_IDS),
  };
  function* read(after: number, last: number): Generator<MailChunk> {
    const { packedRowsOf, rowsOf, addressesOf, keysOf, untrackedOf, namesOf, sendersOf, recipientsOf } = statements();
    maxTripletId = Math.max(maxTripletId, one(db, 'SELECT max(triplet_id) FROM attempts') ?? 0);
    const maxAt = one(db, 'SELECT at FROM attempts ORDER BY id DESC LIMIT 1') ?? 0;
    const span = 2 ** Math.ceil(Math.log2(maxTripletId + 2));
    const packable = (maxAt - since + 1) * span * 8 < Number.MAX_SAFE_INTEGER;
    for (let from = after; from < last; from += CHUNK_IDS) {
      const range = { since, base: since, span, from, to: from + CHUNK_IDS, last };
      const rows = (packable ? packedRowsOf : rowsOf).all(range) as unknown[];
      if (rows.length === 0) continue;
      const places = addressesOf.all(range) as number[];
      const keys = keysOf ? (keysOf.all(range) as number[]) : undefined;
      const addresses: number[] = new Array(rows.length);
      const newAddresses: number[] = [];
      const newTriplets: number[] = [];
      let untracked = 0;
      for (let i = 0; i < rows.length; i++) {
        let triplet: number, at: number, kind: number;
        if (packable) {
          const packed = rows[i] as number;
          kind = packed % 8;
          const rest = (packed - kind) / 8;
          triplet = rest % span;
          at = since + (rest - triplet) / span;
        } else {
          [triplet, at, kind] = rows[i] as [number, number, number];
        }
        chunk.at[i] = at;
        chunk.kinds[i] = kind;
        chunk.triplets[i] = triplet;
        const place = places[i]! % (2 * CHUNK_IDS);
        chunk.ids[i] = from + place;
        const address = (places[i]! - place) / (2 * CHUNK_IDS);
        addresses[i] = address;
        if (address >= clientOfAddress.length) clientOfAddress = grown(clientOfAddress, address);
        if (clientOfAddress[address] === -1) {
          clientOfAddress[address] = -2;
          newAddresses.push(address);
        }
        if (triplet === 0) untracked++;
        else if (!keys || keys[i] === -1) {
          if (triplet >= mailOfTriplet.length) mailOfTriplet = grown(mailOfTriplet, triplet);
          if (mailOfTriplet[triplet] === -1) {
            mailOfTriplet[triplet] = -2;
            newTriplets.push(triplet);
          }
        }
      }
      if (newAddresses.length > 0) readClients(newAddresses);
      if (newTriplets.length > 0) readTripletMails(newTriplets);
      const envelopes = untracked > 0 ? (untrackedOf.all(range) as Array<[number, number]>) : [];
      let nextUntracked = 0;
      for (let i = 0; i < rows.length; i++) {
        chunk.clients[i] = clientOfAddress[addresses[i]!]!;
        const triplet = chunk.triplets[i]!;
        if (triplet !== 0) chunk.mails[i] = keys && keys[i] !== -1 ? mails.numberOfPacked(keys[i]!) : mailOfTriplet[triplet]!;
        else {
          const [sender, recipient] = envelopes[nextUntracked++]!;
          chunk.mails[i] = envelopeMail(sender, recipient);
        }
      }
      if (grey) {
        const names = namesOf.all(range) as number[];
        const senders = sendersOf.all(range) as number[];
        const recipients = recipientsOf.all(range) as number[];
        for (let i = 0; i < rows.length; i++) chunk.grey[i] = grey(addresses[i]!, names[i]!, senders[i]!, recipients[i]!) ? 1 : 0;
      }
      chunk.length = rows.length;
      yield chunk;
    }
  }

  let readUpTo = Math.max(0, firstId);
  const readOn = function* (): Generator<MailChunk> {
    const last = one(db, 'SELECT max(id) FROM attempts') ?? 0;
    const after = readUpTo;
    readUpTo = Math.max(readUpTo, last);
    yield* read(after, last);
  };
  return {
    get maxTripletId() {
      return maxTripletId;
    },
    clients,
    mailCount: () => mails.size,
    chunks: readOn,
    more: readOn,
    firstId: () => one(db, 'SELECT min(id) FROM attempts') ?? 0,
    atOf: (id) => one(db, `SELECT at FROM attempts WHERE id = ${Number(id)}`) ?? undefined,
  };
}

const UNKNOWN = 0;
const NO = 1;
const YES = 2;

/**
 * The grey list's answer for an attempt's address, name, sender and recipient ids, each distinct
 * one (or each combination, when the list can match on several fields together) asked once.
 */
function greyMatcher(greyListed: (subject: AttemptSubject) => boolean, byField: boolean, text: (id: number) => string) {
  if (!byField) {
    const answers = new Map<string, boolean>();
    return (address: number, name: number, sender: number, recipient: number) => {
      const key = `${address},${name},${sender},${recipient}`;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = greyListed({ clientAddress: text(address), clientName: text(name), sender: text(sender), recipient: text(recipient) });
        answers.set(key, answer);
      }
      return answer;
    };
  }
  const empty: AttemptSubject = { clientAddress: '', clientName: '', sender: '', recipient: '' };
  const field = (which: keyof AttemptSubject) => {
    let answers = new Uint8Array(1024);
    return (id: number) => {
      if (id >= answers.length) {
        let size = answers.length;
        while (size <= id) size *= 2;
        const wider = new Uint8Array(size);
        wider.set(answers);
        answers = wider;
      }
      if (answers[id] === UNKNOWN) answers[id] = greyListed({ ...empty, [which]: text(id) }) ? YES : NO;
      return answers[id] === YES;
    };
  };
  const [byAddress, byName, bySender, byRecipient] = [field('clientAddress'), field('clientName'), field('sender'), field('recipient')];
  return (address: number, name: number, sender: number, recipient: number) => byAddress(address) || byName(name) || bySender(sender) || byRecipient(recipient);
}
