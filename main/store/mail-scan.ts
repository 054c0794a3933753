import { attemptIdAt, stringIds } from './compact-log.js';
import type { SqliteDatabase } from './database.js';
import { reasonKindSql } from './insight-queries.js';

/**
 * The attempt log as a replay under other settings needs it: every attempt that reached
 * greylisting (or was let in before it, by auto-allow or the mode), in log order, as integers.
 * Client addresses and mails (a triplet's sender and recipient, from whichever client) are
 * numbered as they first appear, so that a million rows cost a few strings per new client or
 * mail, not per row.
 */

/** What an attempt was in the log; the filter's reasons folded into what a replay needs. */
export const MAIL_KIND = { firstContact: 0, retry: 1, passed: 2, known: 3, autoAllowed: 4, notGreyListed: 5 } as const;

const REASON_KINDS: Record<string, number> = {
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
  /** Reads each attempt's match with the grey list as it is now (its client name and raw addresses cost a read per row). */
  greyListed?(subject: AttemptSubject): boolean;
}

export interface MailScan {
  maxTripletId: number;
  /** Client addresses by number; grows while the chunks are read. */
  clients: string[];
  /** How many mails were numbered so far. */
  mailCount(): number;
  chunks(): Generator<MailChunk>;
}

const CHUNK_IDS = 65_536;
const one = (db: SqliteDatabase, sql: string) => db.prepare(sql).pluck().get() as number | null;

export function scanMails(db: SqliteDatabase, options: MailScanOptions): MailScan {
  const lastId = one(db, 'SELECT max(id) FROM attempts') ?? 0;
  const maxTripletId = one(db, 'SELECT max(triplet_id) FROM attempts') ?? 0;
  // The log is in time order: its first and last rows hold its earliest and latest times.
  const minAt = one(db, 'SELECT at FROM attempts ORDER BY id LIMIT 1') ?? 0;
  const maxAt = one(db, 'SELECT at FROM attempts ORDER BY id DESC LIMIT 1') ?? 0;
  const since = options.since ?? minAt;
  const base = Math.max(since, minAt);
  const firstId = options.since === undefined ? 0 : attemptIdAt(db, since) - 1;
  const span = 2 ** Math.ceil(Math.log2(maxTripletId + 2));
  const packable = (maxAt - base + 1) * span * 8 < Number.MAX_SAFE_INTEGER;
  const untrackedReasons = [...stringIds(db, ['auto-allowed', 'not-grey-listed']).values()].join(', ') || 'NULL';
  const where = `WHERE id > @from AND id <= @to AND at >= @since AND (triplet_id IS NOT NULL OR reason IN (${untrackedReasons}))`;
  const KIND_SQL = reasonKindSql(db, REASON_KINDS, MAIL_KIND.retry);
  const rowsOf = packable
    ? db.prepare(`SELECT ((at - @base) * @span + coalesce(triplet_id, 0)) * 8 + ${KIND_SQL} FROM attempts ${where} ORDER BY id`).pluck()
    : db.prepare(`SELECT coalesce(triplet_id, 0), at, ${KIND_SQL} FROM attempts ${where} ORDER BY id`).raw();
  // Separate reads of the same rows: one string per row instead of one array per row.
  const addressesOf = db.prepare(`SELECT client_address FROM attempts ${where} ORDER BY id`).pluck();
  const untrackedOf = db.prepare(`SELECT sender, recipient FROM attempt_view WHERE id IN (SELECT id FROM attempts ${where} AND triplet_id IS NULL) ORDER BY id`).raw();
  const subjectsOf = db.prepare(`SELECT client_name, sender, recipient FROM attempt_view WHERE id IN (SELECT id FROM attempts ${where}) ORDER BY id`).raw();
  const firstOfTriplet = db.prepare('SELECT sender, recipient FROM attempt_view WHERE triplet_id = ? ORDER BY id LIMIT 1').raw();
  const textOf = db.prepare('SELECT text FROM strings WHERE id = ?').pluck();
  const params = { since, base, span };

  const mailIds = new Map<string, number>();
  const mailOfKey = (key: string) => {
    let id = mailIds.get(key);
    if (id === undefined) mailIds.set(key, (id = mailIds.size));
    return id;
  };
  const mailId = (sender: string, recipient: string) => mailOfKey(`${sender}\n${recipient}`);
  // A triplet's stored sender and recipient are its mail already (joined by SQLite: one flat string a row);
  // a triplet expired since is read from its first attempt.
  const mailOfTriplet = new Int32Array(maxTripletId + 1).fill(-1);
  const triplets = db.prepare(`SELECT id, sender || char(10) || recipient FROM triplet_view ${options.since === undefined ? '' : 'WHERE last_seen >= @since'}`).raw();
  for (const [id, key] of triplets.all(...(options.since === undefined ? [] : [{ since }])) as Array<[number, string]>) {
    if (id <= maxTripletId) mailOfTriplet[id] = mailOfKey(key);
  }
  const tripletMail = (id: number) => {
    let mail = mailOfTriplet[id]!;
    if (mail === -1) {
      const [sender, recipient] = firstOfTriplet.get(id) as [string, string];
      const key = options.mailKey(sender, recipient);
      mailOfTriplet[id] = mail = mailId(key.sender, key.recipient);
    }
    return mail;
  };
  const untrackedMails = new Map<string, number>();
  const untrackedMail = (sender: string, recipient: string) => {
    const raw = `${sender}\n${recipient}`;
    let mail = untrackedMails.get(raw);
    if (mail === undefined) {
      const key = options.mailKey(sender, recipient);
      untrackedMails.set(raw, (mail = mailId(key.sender, key.recipient)));
    }
    return mail;
  };
  const clients: string[] = [];
  const clientIds = new Map<number, number>();
  const lastAddress = new Int32Array(maxTripletId + 1);
  const lastClient = new Int32Array(maxTripletId + 1);
  const greyMemo = new Map<string, boolean>();

  return {
    maxTripletId,
    clients,
    mailCount: () => mailIds.size,
    *chunks() {
      const chunk: MailChunk = {
        length: 0,
        at: new Float64Array(CHUNK_IDS),
        kinds: new Uint8Array(CHUNK_IDS),
        clients: new Int32Array(CHUNK_IDS),
        mails: new Int32Array(CHUNK_IDS),
        triplets: new Int32Array(CHUNK_IDS),
        grey: new Uint8Array(CHUNK_IDS),
      };
      for (let from = Math.max(0, firstId); from < lastId; from += CHUNK_IDS) {
        const range = { ...params, from, to: from + CHUNK_IDS };
        const rows = rowsOf.all(range) as unknown[];
        if (rows.length === 0) continue;
        const addresses = addressesOf.all(range) as number[];
        const untracked = untrackedOf.all(range) as Array<[string, string]>;
        const subjects = options.greyListed ? (subjectsOf.all(range) as Array<[string, string, string]>) : undefined;
        let nextUntracked = 0;
        for (let i = 0; i < rows.length; i++) {
          let triplet: number, at: number, kind: number;
          if (packable) {
            const packed = rows[i] as number;
            kind = packed % 8;
            const rest = (packed - kind) / 8;
            triplet = rest % span;
            at = base + (rest - triplet) / span;
          } else {
            [triplet, at, kind] = rows[i] as [number, number, number];
          }
          const address = addresses[i]!;
          // A triplet's attempts mostly come from one address: compare with its last one before looking it up.
          let client = triplet !== 0 && lastAddress[triplet] === address ? lastClient[triplet]! : clientIds.get(address);
          if (client === undefined) {
            clientIds.set(address, (client = clients.length));
            clients.push(textOf.get(address) as string);
          }
          if (triplet !== 0) {
            lastAddress[triplet] = address;
            lastClient[triplet] = client;
          }
          chunk.at[i] = at;
          chunk.kinds[i] = kind;
          chunk.triplets[i] = triplet;
          chunk.clients[i] = client;
          if (triplet === 0) {
            const [sender, recipient] = untracked[nextUntracked++]!;
            chunk.mails[i] = untrackedMail(sender, recipient);
          } else {
            chunk.mails[i] = tripletMail(triplet);
          }
          if (subjects) {
            const [clientName, sender, recipient] = subjects[i]!;
            const clientAddress = clients[client]!;
            const memo = `${clientAddress}\n${clientName}\n${sender}\n${recipient}`;
            let grey = greyMemo.get(memo);
            if (grey === undefined) greyMemo.set(memo, (grey = options.greyListed!({ clientAddress, clientName, sender, recipient })));
            chunk.grey[i] = grey ? 1 : 0;
          }
        }
        chunk.length = rows.length;
        yield chunk;
      }
    },
  };
}
