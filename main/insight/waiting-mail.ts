import type { Settings } from '../../shared/settings.js';
import type { WaitingMailReads, TripletInts } from '../store/waiting-mail-reads.js';
import { mailShape, type TripletTimes } from './classify.js';
import { nameInSenderDomain, oneProvider, SIGNAL } from './credibility.js';
import { DomainPasses } from './domain-passes.js';
import { domainOf, ipFamilyOfGroup, registrableDomain, verifiedName } from './domains.js';
import { SlotColumns } from './slot-columns.js';

/** How long after its window closed a lost mail stays on the list: the filter keeps such triplets a day. */
export const LOST_KEPT_SECONDS = 86_400;

export type ModelSettings = Pick<Settings, 'delay' | 'retryWindow' | 'maxAge' | 'logRetention'>;

const NONE = -1;
const mailKeyOf = (sender: number, recipient: number) => sender * 2 ** 26 + recipient;

/**
 * The mail greylisting holds (triplets that have not passed, first seen within the retry window
 * and the day after it), grouped by sender and recipient across client networks, with what the
 * classes and the credibility of each mail depend on besides the time. Held as integer columns
 * with string ids; texts are read only for the facts derived from them (sender domains, verified
 * client names, IP families), once per string. Built from the log once, then brought up to date
 * from the attempts after the last one seen: see refresh().
 */
export class WaitingMail {
  readonly triplets = new SlotColumns({
    id: Int32Array,
    sender: Int32Array,
    recipient: Int32Array,
    group: Int32Array,
    firstSeen: Float64Array,
    lastSeen: Float64Array,
    mail: Int32Array,
    /** The next triplet of its mail, in the order (first seen, id). */
    next: Int32Array,
    head: Int32Array,
    tail: Int32Array,
    length: Int32Array,
  });
  readonly attempts = new SlotColumns({ id: Float64Array, at: Float64Array, clientName: Int32Array, next: Int32Array });
  readonly mails = new SlotColumns({
    sender: Int32Array,
    recipient: Int32Array,
    head: Int32Array,
    alive: Uint8Array,
    shape: Uint8Array,
    /** Credibility signals known without the time or the rest of the log: verified name, pool of one provider, name in the sender's domain. */
    signals: Uint8Array,
    /** Registrable sender domain, an index of `domains`; NONE for a bounce. */
    domain: Int32Array,
    count: Int32Array,
    firstAt: Float64Array,
    lastAt: Float64Array,
    /** The attempt the lists are asked about: the last of the mail. */
    lastAttempt: Float64Array,
    maxFirstSeen: Float64Array,
    minTripletId: Int32Array,
    /** When the same sender and recipient last got through from another network; -1 if never. */
    gotThrough: Float64Array,
    /** The lists' answer for the last attempt: 0 not asked yet, 1 they decide it now, 2 they do not. */
    listed: Uint8Array,
  });
  private readonly tripletSlots = new Map<number, number>();
  private readonly mailSlots = new Map<number, number>();
  private readonly dirty = new Set<number>();

  readonly domains: string[] = [];
  private readonly domainIds = new Map<string, number>();
  readonly parents: number[] = [];
  readonly passes = new DomainPasses();
  /** Per sender id: its domain as stored after its first '@', as a domain index (NONE without one). */
  private readonly senderDomains = new Map<number, number>();
  /** Per sender id whose registrable domain is not that of its stored domain (several '@'). */
  private readonly senderRegistrable = new Map<number, number>();
  /** Per domain index: the registrable domain of its lower case, as a domain index. */
  private readonly registrableOf: number[] = [];

  lastAttemptId = 0;

  constructor(
    readonly reads: WaitingMailReads,
    readonly settings: ModelSettings,
  ) {}

  domainIndex(text: string): number {
    let index = this.domainIds.get(text);
    if (index === undefined) {
      index = this.domains.length;
      this.domainIds.set(text, index);
      this.domains.push(text);
      // As SQL's substr(d, instr(d, '.') + 1): a domain without a dot is its own parent.
      this.parents.push(NONE);
      this.parents[index] = this.domainIndex(text.slice(text.indexOf('.') + 1));
    }
    return index;
  }

  /** Learns the domains of these senders (once per id), and returns the texts of the other ids, for the caller to use now. */
  learn(senders: Iterable<number>, others: Iterable<number> = []): Map<number, string> {
    const wanted: number[] = [];
    for (const id of senders) if (!this.senderDomains.has(id)) wanted.push(id);
    const texts = this.reads.texts(wanted, new Map());
    for (const id of wanted) {
      if (this.senderDomains.has(id)) continue;
      const text = texts.get(id) ?? '';
      const at = text.indexOf('@');
      const stored = at === -1 ? NONE : this.domainIndex(text.slice(at + 1));
      this.senderDomains.set(id, stored);
      if (at !== text.lastIndexOf('@')) this.senderRegistrable.set(id, this.registrableIndex(registrableDomain(domainOf(text))));
    }
    texts.clear();
    return this.reads.texts(others, texts);
  }

  private registrableIndex(domain: string): number {
    return domain ? this.domainIndex(domain) : NONE;
  }

  /** The sender's registrable domain (NONE for a bounce), learnt already. */
  registrableDomain(sender: number): number {
    const exception = this.senderRegistrable.get(sender);
    if (exception !== undefined) return exception;
    const stored = this.senderDomains.get(sender)!;
    if (stored === NONE) return NONE;
    // One '@': domainOf() is the stored domain in lower case.
    return (this.registrableOf[stored] ??= this.registrableIndex(registrableDomain(this.domains[stored]!.toLowerCase())));
  }

  /** The triplet's mail, made if it is new. */
  private mailOf(sender: number, recipient: number): { mail: number; made: boolean } {
    const key = mailKeyOf(sender, recipient);
    const found = this.mailSlots.get(key);
    if (found !== undefined) return { mail: found, made: false };
    const mail = this.mails.alloc();
    const m = this.mails.cols;
    m.sender[mail] = sender;
    m.recipient[mail] = recipient;
    m.head[mail] = NONE;
    m.alive[mail] = 1;
    m.gotThrough[mail] = -1;
    m.count[mail] = 0;
    m.listed[mail] = 0;
    m.lastAttempt[mail] = NONE;
    this.mailSlots.set(key, mail);
    return { mail, made: true };
  }

  /** Adds a waiting triplet; tells whether its mail is new. */
  addTriplet(row: Omit<TripletInts, 'passedAt'>): boolean {
    return this.addTripletOf(row.id, row.sender, row.recipient, row.clientGroup, row.firstSeen, row.lastSeen);
  }

  addTripletOf(id: number, sender: number, recipient: number, clientGroup: number, firstSeen: number, lastSeen: number): boolean {
    const slot = this.triplets.alloc();
    const t = this.triplets.cols;
    const { mail, made } = this.mailOf(sender, recipient);
    t.id[slot] = id;
    t.sender[slot] = sender;
    t.recipient[slot] = recipient;
    t.group[slot] = clientGroup;
    t.firstSeen[slot] = firstSeen;
    t.lastSeen[slot] = lastSeen;
    t.mail[slot] = mail;
    t.head[slot] = t.tail[slot] = NONE;
    t.length[slot] = 0;
    this.tripletSlots.set(id, slot);
    this.linkInMail(slot);
    return made;
  }

  private linkInMail(slot: number): void {
    const t = this.triplets.cols;
    const m = this.mails.cols;
    const mail = t.mail[slot]!;
    const before = (a: number, b: number) => t.firstSeen[a]! < t.firstSeen[b]! || (t.firstSeen[a] === t.firstSeen[b] && t.id[a]! < t.id[b]!);
    if (m.head[mail] === NONE || before(slot, m.head[mail]!)) {
      t.next[slot] = m.head[mail]!;
      m.head[mail] = slot;
    } else {
      let at = m.head[mail]!;
      while (t.next[at] !== NONE && before(t.next[at]!, slot)) at = t.next[at]!;
      t.next[slot] = t.next[at]!;
      t.next[at] = slot;
    }
    this.dirty.add(mail);
  }

  private unlinkFromMail(slot: number): void {
    const t = this.triplets.cols;
    const m = this.mails.cols;
    const mail = t.mail[slot]!;
    if (m.head[mail] === slot) m.head[mail] = t.next[slot]!;
    else {
      let at = m.head[mail]!;
      while (t.next[at] !== slot) at = t.next[at]!;
      t.next[at] = t.next[slot]!;
    }
    this.dirty.add(mail);
  }

  slotOf(tripletId: number): number | undefined {
    return this.tripletSlots.get(tripletId);
  }

  mailSlot(sender: number, recipient: number): number | undefined {
    return this.mailSlots.get(mailKeyOf(sender, recipient));
  }

  removeTriplet(slot: number): void {
    const t = this.triplets.cols;
    this.unlinkFromMail(slot);
    this.dropAttempts(slot, Number.POSITIVE_INFINITY);
    this.tripletSlots.delete(t.id[slot]!);
    const mail = t.mail[slot]!;
    if (this.mails.cols.head[mail] === NONE) {
      this.mails.cols.alive[mail] = 0;
      this.mailSlots.delete(mailKeyOf(this.mails.cols.sender[mail]!, this.mails.cols.recipient[mail]!));
      this.mails.release(mail);
      this.dirty.delete(mail);
    }
    this.triplets.release(slot);
  }

  /** A new round of a triplet (its window expired, or it was forgotten): the attempts before it are another mail. */
  restartTriplet(slot: number, firstSeen: number): void {
    this.unlinkFromMail(slot);
    this.triplets.cols.firstSeen[slot] = firstSeen;
    this.dropAttempts(slot, firstSeen);
    this.linkInMail(slot);
  }

  /** Drops the triplet's attempts before `at`. */
  dropAttempts(slot: number, at: number): void {
    const t = this.triplets.cols;
    const a = this.attempts.cols;
    while (t.head[slot] !== NONE && a.at[t.head[slot]!]! < at) {
      const attempt = t.head[slot]!;
      t.head[slot] = a.next[attempt]!;
      t.length[slot]!--;
      this.attempts.release(attempt);
      this.dirty.add(t.mail[slot]!);
    }
    if (t.head[slot] === NONE) t.tail[slot] = NONE;
  }

  /** Appends an attempt of a triplet held here, in log order; an attempt seen already is skipped. */
  addAttempt(slot: number, id: number, at: number, clientName: number): void {
    const t = this.triplets.cols;
    const a = this.attempts.cols;
    if (at < t.firstSeen[slot]! || (t.tail[slot] !== NONE && a.id[t.tail[slot]!]! >= id)) return;
    const attempt = this.attempts.alloc();
    a.id[attempt] = id;
    a.at[attempt] = at;
    a.clientName[attempt] = clientName;
    a.next[attempt] = NONE;
    if (t.tail[slot] === NONE) t.head[slot] = attempt;
    else a.next[t.tail[slot]!] = attempt;
    t.tail[slot] = attempt;
    t.length[slot]!++;
    this.dirty.add(t.mail[slot]!);
  }

  /** Forgets what has left the window by `now`: as the filter's expiry does, whenever it gets to it. */
  dropOld(now: number): void {
    const since = now - this.settings.retryWindow - LOST_KEPT_SECONDS;
    const forgotten = now - this.settings.maxAge;
    const logKept = now - this.settings.logRetention;
    const t = this.triplets.cols;
    // Deleting the entry being visited is safe in a Map's iteration.
    for (const slot of this.tripletSlots.values()) {
      if (t.firstSeen[slot]! < since || t.lastSeen[slot]! < forgotten) this.removeTriplet(slot);
      else if (t.head[slot] !== NONE && this.attempts.cols.at[t.head[slot]!]! < logKept) this.dropAttempts(slot, logKept);
    }
  }

  /** Recomputes the facts of the mails whose attempts or triplets changed. */
  settle(): void {
    if (this.dirty.size === 0) return;
    const t = this.triplets.cols;
    const a = this.attempts.cols;
    const m = this.mails.cols;
    const mails = [...this.dirty];
    this.dirty.clear();
    const senders: number[] = [];
    const others: number[] = [];
    for (const mail of mails) {
      senders.push(m.sender[mail]!);
      const multi = t.next[m.head[mail]!] !== NONE;
      for (let slot = m.head[mail]!; slot !== NONE; slot = t.next[slot]!) {
        if (multi) others.push(t.group[slot]!);
        for (let at = t.head[slot]!; at !== NONE; at = a.next[at]!) others.push(a.clientName[at]!);
      }
    }
    // Client names and networks are read for the mails that changed only, and not kept: a busy server sees hundreds of thousands.
    const texts = this.learn(senders, others);
    const names = new Map<number, string>();
    const nameOf = (id: number) => {
      let name = names.get(id);
      if (name === undefined) names.set(id, (name = verifiedName(texts.get(id) ?? '')));
      return name;
    };
    for (const mail of mails) this.settleMail(mail, nameOf, (group) => ipFamilyOfGroup(texts.get(group) ?? ''));
  }

  private settleMail(mail: number, nameOf: (id: number) => string, familyOf: (group: number) => 4 | 6): void {
    const t = this.triplets.cols;
    const a = this.attempts.cols;
    const m = this.mails.cols;
    const perTriplet: TripletTimes[] = [];
    const clientNames = new Set<string>();
    let everyNetworkNamed = true;
    let count = 0;
    let firstAt = Number.POSITIVE_INFINITY;
    let lastAt = Number.NEGATIVE_INFINITY;
    let lastAttempt = NONE;
    let maxFirstSeen = Number.NEGATIVE_INFINITY;
    let minTripletId = Number.POSITIVE_INFINITY;
    const multi = t.next[m.head[mail]!] !== NONE;
    for (let slot = m.head[mail]!; slot !== NONE; slot = t.next[slot]!) {
      maxFirstSeen = Math.max(maxFirstSeen, t.firstSeen[slot]!);
      minTripletId = Math.min(minTripletId, t.id[slot]!);
      if (t.length[slot] === 0) continue;
      const times = new Float64Array(t.length[slot]!);
      let named = false;
      let i = 0;
      for (let at = t.head[slot]!; at !== NONE; at = a.next[at]!) {
        times[i++] = a.at[at]!;
        const name = nameOf(a.clientName[at]!);
        if (name) clientNames.add(name), (named = true);
        // The log in time order, ties in the order of the triplets: the last attempt is the latest one, the later triplet's on a tie.
        if (a.at[at]! >= lastAt) (lastAt = a.at[at]!), (lastAttempt = a.id[at]!);
      }
      everyNetworkNamed &&= named;
      firstAt = Math.min(firstAt, times[0]!);
      count += times.length;
      perTriplet.push({ family: multi ? familyOf(t.group[slot]!) : 4, at: times });
    }
    m.count[mail] = count;
    m.maxFirstSeen[mail] = maxFirstSeen;
    m.minTripletId[mail] = minTripletId;
    if (count === 0) return;
    if (m.lastAttempt[mail] !== lastAttempt) m.listed[mail] = 0;
    m.firstAt[mail] = firstAt;
    m.lastAt[mail] = lastAt;
    m.lastAttempt[mail] = lastAttempt;
    m.shape[mail] = mailShape(perTriplet, this.settings);
    const domain = this.registrableDomain(m.sender[mail]!);
    m.domain[mail] = domain;
    const names = [...clientNames];
    const senderDomain = domain === NONE ? '' : this.domains[domain]!;
    m.signals[mail] =
      (names.length > 0 ? SIGNAL.verifiedClientName : 0) |
      (oneProvider(perTriplet.length, everyNetworkNamed, names) !== undefined ? SIGNAL.poolOfOneProvider : 0) |
      (names.some((name) => nameInSenderDomain(name, senderDomain)) ? SIGNAL.clientInSenderDomain : 0);
  }

  /** A pass of a triplet: evidence for its sender domain, and for its own mail, that it gets through. */
  passed(rows: readonly Pick<TripletInts, 'sender' | 'recipient' | 'clientGroup' | 'lastSeen'>[]): void {
    this.learn(rows.map((r) => r.sender));
    for (const row of rows) {
      this.passedDomain(row.sender, row.clientGroup, row.lastSeen);
      this.gotThrough(row.sender, row.recipient, row.lastSeen);
    }
  }

  /** A pass as evidence for its sender domain; the sender learnt already. */
  passedDomain(sender: number, clientGroup: number, lastSeen: number): void {
    const stored = this.senderDomains.get(sender)!;
    if (stored !== NONE) this.passes.add(stored, this.parents[stored]!, clientGroup, lastSeen);
  }

  /** A pass as evidence that the mail of `sender` and `recipient`, if held, gets through. */
  gotThrough(sender: number, recipient: number, lastSeen: number): void {
    const mail = this.mailSlot(sender, recipient);
    if (mail !== undefined && this.mails.cols.gotThrough[mail]! < lastSeen) this.mails.cols.gotThrough[mail] = lastSeen;
  }

  /**
   * Gives back memory after a build: the columns' empty room, and the domains of senders, which
   * every use learns again first (a busy server has hundreds of thousands of senders, a refresh
   * a few thousand).
   */
  trim(): void {
    this.triplets.trim();
    this.attempts.trim();
    this.mails.trim();
    this.passes.trim();
    this.senderDomains.clear();
    this.senderRegistrable.clear();
  }

  /** Every live mail slot. */
  mailSlotList(): IterableIterator<number> {
    return this.mailSlots.values();
  }

  /** The triplet slots of a mail, in order. */
  *tripletsOf(mail: number): Generator<number> {
    for (let slot = this.mails.cols.head[mail]!; slot !== NONE; slot = this.triplets.cols.next[slot]!) yield slot;
  }

  *attemptsOf(slot: number): Generator<number> {
    for (let at = this.triplets.cols.head[slot]!; at !== NONE; at = this.attempts.cols.next[at]!) yield at;
  }
}
