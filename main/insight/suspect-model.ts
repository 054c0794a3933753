import type { Suspect, SuspectClass } from '../../shared/insight-contract.js';
import type { PolicySnapshot } from '../store/greylist-store.js';
import type { SqliteDatabase } from '../store/database.js';
import type { WaitingAttemptRow, WaitingTripletRow } from '../store/insight-queries.js';
import { WaitingMailReads, type TripletInts } from '../store/waiting-mail-reads.js';
import { CLASS_BIT, classesOfMask, classMask, isWorthShowing, scoreSuspect, withEvidence, type CandidateMail } from './classify.js';
import { credibilityOf, SIGNAL } from './credibility.js';
import { listsDecision, type ListsDecision } from './lists-decide.js';
import { LOST_KEPT_SECONDS, WaitingMail, type ModelSettings } from './waiting-mail.js';

export interface SuspectQuery {
  /** Also closed windows and spam-like suspects of low credibility. */
  all?: boolean;
  limit?: number;
}

export interface PolicySource {
  readPolicy(): Promise<PolicySnapshot>;
  /** Lets an unchanged policy be kept without reading it. */
  policyVersion?(): Promise<number>;
}

/** Mails whose suspects are built per read of their attempts' texts. */
const EVIDENCE_BATCH = 2048;
const NONE = -1;

/** The primary class of each lowest class bit. */
const PRIMARY: Record<number, SuspectClass> = Object.fromEntries(Object.entries(CLASS_BIT).map(([c, bit]) => [bit, c as SuspectClass]));

/** The credibility of every combination of signals. */
const CREDIBILITY = Float64Array.from({ length: 128 }, (_, signals) => credibilityOf(signals));

const settingsKey = (s: ModelSettings) => `${s.delay} ${s.retryWindow} ${s.maxAge} ${s.logRetention}`;

/**
 * The suspects of the waiting mail, kept in memory between reads: the first read builds the
 * model from the log, each later one reads only the attempts committed since (new mail,
 * retries, passes), forgets what left the window, and rebuilds when triplets were edited or a
 * setting the classes depend on changed. Suspects (texts, evidence) are made only for the mails
 * returned, a batch at a time.
 */
export class SuspectModel {
  private readonly reads: WaitingMailReads;
  private model: WaitingMail | undefined;
  private edits = NONE;
  private builtFor = '';
  private lastNow = Number.NEGATIVE_INFINITY;
  private policy: { version: number; snapshot: PolicySnapshot; decide: ListsDecision | undefined; at: number } | undefined;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly store: PolicySource,
  ) {
    this.reads = new WaitingMailReads(db);
  }

  async list(now: number, query: SuspectQuery = {}): Promise<Suspect[]> {
    return [...(await this.suspects(now, query))];
  }

  /** The suspects at `now`, most credible first, made as they are iterated. */
  async suspects(now: number, query: SuspectQuery = {}): Promise<Iterable<Suspect>> {
    const policy = await this.readPolicy(now);
    const model = this.refresh(now, policy.snapshot.settings);
    return this.select(model, now, query, policy.decide);
  }

  private async readPolicy(now: number) {
    const version = this.store.policyVersion ? await this.store.policyVersion() : undefined;
    let policy = this.policy;
    if (!policy || version === undefined || version !== policy.version) {
      const snapshot = await this.store.readPolicy();
      policy = { version: snapshot.version, snapshot, decide: undefined, at: now };
      this.model?.mails.cols.listed.fill(0);
    } else if (entryExpiresBetween(policy.snapshot, policy.at, now)) {
      // An entry that expired (or, with the clock turned back, came back) decides differently.
      this.model?.mails.cols.listed.fill(0);
    }
    policy.decide = listsDecision(policy.snapshot, now);
    policy.at = now;
    return (this.policy = policy);
  }

  private refresh(now: number, settings: ModelSettings): WaitingMail {
    const edits = this.reads.tripletEdits();
    let model = this.model;
    if (!model || edits !== this.edits || settingsKey(settings) !== this.builtFor || now < this.lastNow) {
      model = this.build(now, settings);
      this.edits = edits;
      this.builtFor = settingsKey(settings);
    } else {
      this.update(model, now);
    }
    model.dropOld(now);
    model.passes.forget(now - settings.maxAge);
    model.settle();
    if (model !== this.model) model.trim();
    this.lastNow = now;
    return (this.model = model);
  }

  private build(now: number, settings: ModelSettings): WaitingMail {
    this.model = undefined;
    const model = new WaitingMail(this.reads, settings);
    const since = now - settings.retryWindow - LOST_KEPT_SECONDS;
    const forgotten = now - settings.maxAge;
    // One read transaction: the triplets and the attempts as of the same commit.
    this.db.transaction(() => {
      model.lastAttemptId = this.reads.lastAttemptId();
      for (const c of this.reads.tripletColumns('waiting', since)) {
        for (let i = 0; i < c.id.length; i++) model.addTripletOf(c.id[i]!, c.sender[i]!, c.recipient[i]!, c.clientGroup[i]!, c.firstSeen[i]! + since, c.lastSeen[i]! + since);
      }
      // Passes older than the maximum age count for nothing now, nor at any later time.
      for (const c of this.reads.tripletColumns('passed', forgotten)) {
        model.learn(c.sender);
        for (let i = 0; i < c.id.length; i++) {
          const lastSeen = c.lastSeen[i]! + forgotten;
          model.passedDomain(c.sender[i]!, c.clientGroup[i]!, lastSeen);
          model.gotThrough(c.sender[i]!, c.recipient[i]!, lastSeen);
        }
      }
      for (const c of this.reads.attempts(this.reads.attemptIdAt(since), model.lastAttemptId + 1, since)) {
        for (let i = 0; i < c.id.length; i++) {
          const slot = model.slotOf(c.tripletId[i]!);
          if (slot !== undefined) model.addAttempt(slot, c.id[i]!, c.at[i]! + since, c.clientName[i]!);
        }
      }
    })();
    return model;
  }

  private update(model: WaitingMail, now: number): void {
    const since = now - model.settings.retryWindow - LOST_KEPT_SECONDS;
    this.db.transaction(() => {
      const last = this.reads.lastAttemptId();
      if (last <= model.lastAttemptId) return;
      const attempts = [...this.reads.attempts(model.lastAttemptId + 1, last + 1, since)];
      const touched = [...new Set(attempts.flatMap((c) => c.tripletId))];
      const rows = this.reads.tripletsByIds(touched);
      const t = model.triplets.cols;
      const passed: TripletInts[] = [];
      const present = new Set<number>();
      for (const row of rows) {
        present.add(row.id);
        let slot = model.slotOf(row.id);
        // An id the filter handed out again after its triplet expired.
        if (slot !== undefined && (t.sender[slot] !== row.sender || t.recipient[slot] !== row.recipient || t.group[slot] !== row.clientGroup)) {
          model.removeTriplet(slot);
          slot = undefined;
        }
        if (row.passedAt >= 0) {
          if (slot !== undefined) model.removeTriplet(slot);
          passed.push(row);
        } else if (slot === undefined) {
          if (row.firstSeen >= since && model.addTriplet(row)) {
            const mail = model.mailSlot(row.sender, row.recipient)!;
            model.mails.cols.gotThrough[mail] = this.reads.lastPass(row.sender, row.recipient);
          }
        } else {
          if (t.firstSeen[slot] !== row.firstSeen) model.restartTriplet(slot, row.firstSeen);
          t.lastSeen[slot] = row.lastSeen;
        }
      }
      for (const id of touched) {
        const slot = present.has(id) ? undefined : model.slotOf(id);
        if (slot !== undefined) model.removeTriplet(slot);
      }
      model.passed(passed);
      for (const c of attempts) {
        for (let i = 0; i < c.id.length; i++) {
          const slot = model.slotOf(c.tripletId[i]!);
          if (slot !== undefined) model.addAttempt(slot, c.id[i]!, c.at[i]! + since, c.clientName[i]!);
        }
      }
      model.lastAttemptId = last;
    })();
  }

  private *select(model: WaitingMail, now: number, query: SuspectQuery, decide: ListsDecision | undefined): Generator<Suspect> {
    const settings = model.settings;
    const m = model.mails.cols;
    const forgotten = now - settings.maxAge;
    const size = model.mails.size;
    // Per mail slot, typed: a pass over hundreds of thousands of mails must not make an object per mail.
    const masks = new Uint8Array(size);
    const candidateDomains = new Uint8Array(model.domains.length);
    for (let mail = 0; mail < size; mail++) {
      if (m.alive[mail] === 0 || m.count[mail] === 0) continue;
      const mask = classMask(m.shape[mail]!, m.lastAt[mail]!, settings, now);
      if (mask === 0) continue;
      masks[mail] = mask;
      if (m.domain[mail] !== NONE) candidateDomains[m.domain[mail]!] = 1;
    }
    const asked = this.askedDomains(model, masks, candidateDomains, decide);

    const chosen: number[] = [];
    const credibility = new Uint8Array(size);
    let minFirstSeen = Number.POSITIVE_INFINITY;
    let maxFirstSeen = Number.NEGATIVE_INFINITY;
    for (let mail = 0; mail < size; mail++) {
      const mask = masks[mail]!;
      if (mask === 0) continue;
      if (m.gotThrough[mail]! >= m.firstAt[mail]! && m.gotThrough[mail]! >= forgotten) continue;
      const domain = m.domain[mail]!;
      const signals =
        m.signals[mail]! |
        (domain !== NONE && model.passes.any(domain, forgotten, asked) ? SIGNAL.domainPassedBefore : 0) |
        (m.count[mail]! > 1 ? SIGNAL.retried : 0) |
        (mask & CLASS_BIT.hammering ? SIGNAL.hammering : 0) |
        (mask & CLASS_BIT['never-retried'] ? SIGNAL.neverRetried : 0);
      const score = CREDIBILITY[signals]!;
      const secondsLeft = m.maxFirstSeen[mail]! + settings.retryWindow - now;
      if (!query.all && !isWorthShowing({ secondsLeft, primary: PRIMARY[mask & -mask]!, credibility: score })) continue;
      chosen.push(mail);
      credibility[mail] = Math.round(score * 100);
      minFirstSeen = Math.min(minFirstSeen, m.maxFirstSeen[mail]!);
      maxFirstSeen = Math.max(maxFirstSeen, m.maxFirstSeen[mail]!);
    }
    const order = riskOrder(chosen, (mail) => m.maxFirstSeen[mail]! + settings.retryWindow - now > 0, credibility, m.maxFirstSeen, m.minTripletId, minFirstSeen, maxFirstSeen, size);

    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    // Counted once per domain and read: a large domain's networks are many, and so are its suspects.
    const networks = new Map<number, number>();
    let given = 0;
    for (let from = 0; from < order.length && given < limit; ) {
      // A short list reads little more evidence than it shows; the lists may leave some out.
      const batch = Array.from(order.subarray(from, from + Math.min(EVIDENCE_BATCH, Math.max(64, 2 * (limit - given)))));
      from += batch.length;
      const mails = this.candidates(model, batch, masks);
      for (const [mail, candidate] of mails) {
        if (given >= limit) return;
        if (decide && this.listed(model, mail, candidate, decide)) continue;
        const domain = m.domain[mail]!;
        let passedNetworks = domain === NONE ? 0 : networks.get(domain);
        if (passedNetworks === undefined) networks.set(domain, (passedNetworks = model.passes.count(domain, forgotten, asked)));
        yield withEvidence(scoreSuspect(candidate, passedNetworks, { settings, now }), candidate.all, { settings, now });
        given++;
      }
    }
  }

  /** Whether the lists decide the mail's last attempt now: a fix already made, or a deny entry. */
  private listed(model: WaitingMail, mail: number, candidate: CandidateMail, decide: ListsDecision): boolean {
    const m = model.mails.cols;
    if (m.listed[mail] === 0) m.listed[mail] = decide(candidate.all.at(-1)!) ? 1 : 2;
    return m.listed[mail] === 1;
  }

  /**
   * The sender domains of the candidates the lists leave: where a domain and its direct
   * subdomain are both among them, the subdomain's passes count for itself only. Both being
   * registrable domains is rare (hosts without a public suffix), so only then are the lists asked.
   */
  private askedDomains(model: WaitingMail, masks: Uint8Array, candidateDomains: Uint8Array, decide: ListsDecision | undefined): (domain: number) => boolean {
    const m = model.mails.cols;
    const ambiguous = (d: number) => candidateDomains[d] === 1 && model.parents[d] !== d && candidateDomains[model.parents[d]!] === 1;
    const asked = new Uint8Array(candidateDomains);
    if (decide) {
      const doubtful: number[] = [];
      for (let mail = 0; mail < masks.length; mail++) if (masks[mail] !== 0 && m.domain[mail] !== NONE && ambiguous(m.domain[mail]!)) doubtful.push(mail);
      for (const d of new Set(doubtful.map((mail) => m.domain[mail]!))) asked[d] = 0;
      for (const [mail, candidate] of this.candidates(model, doubtful, masks)) {
        if (!this.listed(model, mail, candidate, decide)) asked[m.domain[mail]!] = 1;
      }
    }
    return (domain) => asked[domain] === 1;
  }

  /** The mails with their texts and attempts, as the classifier's rows, in the order given. */
  private candidates(model: WaitingMail, mails: readonly number[], masks: Uint8Array): Map<number, CandidateMail> {
    const t = model.triplets.cols;
    const a = model.attempts.cols;
    const m = model.mails.cols;
    const attemptIds: number[] = [];
    const stringIds: number[] = [];
    for (const mail of mails) {
      stringIds.push(m.sender[mail]!, m.recipient[mail]!);
      for (const slot of model.tripletsOf(mail)) {
        stringIds.push(t.group[slot]!);
        for (const at of model.attemptsOf(slot)) attemptIds.push(a.id[at]!);
      }
    }
    const attempts = this.reads.attemptTextIds(attemptIds);
    for (const row of attempts.values()) {
      stringIds.push(row.clientAddress, row.clientName, row.sender, row.recipient, row.action, row.reason);
      if (row.filter !== null) stringIds.push(row.filter);
    }
    const texts = this.reads.texts(stringIds, new Map());
    const text = (id: number) => texts.get(id) ?? '';
    const made = new Map<number, CandidateMail>();
    for (const mail of mails) {
      const sender = text(m.sender[mail]!);
      const recipient = text(m.recipient[mail]!);
      const triplets: WaitingTripletRow[] = [];
      const perTriplet: CandidateMail['perTriplet'] = [];
      for (const slot of model.tripletsOf(mail)) {
        const clientGroup = text(t.group[slot]!);
        triplets.push({ id: t.id[slot]!, clientGroup, sender, recipient, firstSeen: t.firstSeen[slot]!, lastSeen: t.lastSeen[slot]!, attempts: 0, earlyAttempts: 0 });
        const rows: WaitingAttemptRow[] = [];
        for (const at of model.attemptsOf(slot)) {
          const ids = attempts.get(a.id[at]!);
          if (!ids) continue;
          rows.push({
            tripletId: t.id[slot]!,
            at: a.at[at]!,
            clientAddress: text(ids.clientAddress),
            clientName: text(ids.clientName),
            sender: text(ids.sender),
            recipient: text(ids.recipient),
            action: text(ids.action),
            reason: text(ids.reason),
            ...(ids.filter !== null ? { filter: text(ids.filter) } : {}),
          });
        }
        if (rows.length > 0) perTriplet.push({ clientGroup, rows });
      }
      if (perTriplet.length === 0) continue;
      const all = perTriplet.length === 1 ? perTriplet[0]!.rows : perTriplet.flatMap((p) => p.rows).sort((x, y) => x.at - y.at);
      made.set(mail, { sender, recipient, triplets, perTriplet, all, classes: classesOfMask(masks[mail]!) });
    }
    return made;
  }
}

function entryExpiresBetween(snapshot: PolicySnapshot, a: number, b: number): boolean {
  const [low, high] = a <= b ? [a, b] : [b, a];
  for (const table of Object.values(snapshot.lists)) for (const expires of table.expires) if (expires > low && expires <= high) return true;
  return false;
}

/**
 * The chosen mails in the order of byRisk (open windows first, then credibility, then the least
 * time left, then the lowest triplet id): all but the last key packed into one number with the
 * slot, so that the sort is a typed array's own; runs of equal keys are then put in triplet order.
 */
function riskOrder(
  chosen: readonly number[],
  open: (mail: number) => boolean,
  credibility: Uint8Array,
  firstSeen: Float64Array,
  tripletId: Int32Array,
  minFirstSeen: number,
  maxFirstSeen: number,
  slots: number,
): Int32Array {
  const byTriplet = (a: number, b: number) => tripletId[a]! - tripletId[b]!;
  const span = chosen.length === 0 ? 1 : maxFirstSeen - minFirstSeen + 1;
  const slotSpan = 2 ** Math.ceil(Math.log2(slots + 1));
  const keyOf = (mail: number) => (Number(!open(mail)) * 101 + 100 - credibility[mail]!) * span + (firstSeen[mail]! - minFirstSeen);
  if (!Number.isSafeInteger(202 * span * slotSpan)) {
    return Int32Array.from(chosen).sort((a, b) => keyOf(a) - keyOf(b) || byTriplet(a, b));
  }
  const packed = new Float64Array(chosen.length);
  for (let i = 0; i < chosen.length; i++) packed[i] = keyOf(chosen[i]!) * slotSpan + chosen[i]!;
  packed.sort();
  const order = new Int32Array(chosen.length);
  for (let i = 0; i < packed.length; i++) order[i] = packed[i]! % slotSpan;
  for (let start = 0; start < order.length; ) {
    const key = Math.floor(packed[start]! / slotSpan);
    let end = start + 1;
    while (end < order.length && Math.floor(packed[end]! / slotSpan) === key) end++;
    if (end - start > 1) order.subarray(start, end).sort(byTriplet);
    start = end;
  }
  return order;
}
