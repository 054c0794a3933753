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
const EVIDENCE_BATCH = 256;
const NONE = -1;

/** The primary class of each lowest class bit. */
const PRIMARY: Record<number, SuspectClass> = Object.fromEntries(Object.entries(CLASS_BIT).map(([c, bit]) => [bit, c as SuspectClass]));

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
    model.settle();
    this.lastNow = now;
    return (this.model = model);
  }

  private build(now: number, settings: ModelSettings): WaitingMail {
    this.model = undefined;
    const model = new WaitingMail(this.reads, settings);
    const since = now - settings.retryWindow - LOST_KEPT_SECONDS;
    // One read transaction: the triplets and the attempts as of the same commit.
    this.db.transaction(() => {
      model.lastAttemptId = this.reads.lastAttemptId();
      const recentPasses: TripletInts[] = [];
      for (const chunk of this.reads.triplets()) {
        const passed: TripletInts[] = [];
        for (const row of chunk) {
          if (row.passedAt < 0) {
            if (row.firstSeen >= since) model.addTriplet(row);
          } else {
            passed.push(row);
            if (row.lastSeen >= since) recentPasses.push(row);
          }
        }
        model.passed(passed);
      }
      // A mail's own passes, once all its triplets are in.
      model.passed(recentPasses);
      for (const chunk of this.reads.attempts(this.reads.attemptIdAt(since), model.lastAttemptId + 1)) {
        for (const a of chunk) {
          const slot = model.slotOf(a.tripletId);
          if (slot !== undefined) model.addAttempt(slot, a.id, a.at, a.clientName);
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
      const attempts = [...this.reads.attempts(model.lastAttemptId + 1, last + 1)].flat();
      const touched = [...new Set(attempts.map((a) => a.tripletId))];
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
      for (const a of attempts) {
        const slot = model.slotOf(a.tripletId);
        if (slot !== undefined) model.addAttempt(slot, a.id, a.at, a.clientName);
      }
      model.lastAttemptId = last;
    })();
  }

  private *select(model: WaitingMail, now: number, query: SuspectQuery, decide: ListsDecision | undefined): Generator<Suspect> {
    const settings = model.settings;
    const m = model.mails.cols;
    const forgotten = now - settings.maxAge;
    const masks = new Map<number, number>();
    const candidateDomains = new Uint8Array(model.domains.length);
    for (const mail of model.mailSlotList()) {
      if (m.count[mail] === 0) continue;
      const mask = classMask(m.shape[mail]!, m.lastAt[mail]!, settings, now);
      if (mask === 0) continue;
      masks.set(mail, mask);
      if (m.domain[mail] !== NONE) candidateDomains[m.domain[mail]!] = 1;
    }
    const asked = this.askedDomains(model, masks, candidateDomains, decide);

    // Per mail slot, for a sort that reads typed arrays only.
    const credibility = new Float64Array(model.mails.size);
    const left = new Float64Array(model.mails.size);
    const chosen: number[] = [];
    for (const [mail, mask] of masks) {
      if (m.gotThrough[mail]! >= m.firstAt[mail]! && m.gotThrough[mail]! >= forgotten) continue;
      const domain = m.domain[mail]!;
      const signals =
        m.signals[mail]! |
        (domain !== NONE && model.passes.any(domain, forgotten, asked) ? SIGNAL.domainPassedBefore : 0) |
        (m.count[mail]! > 1 ? SIGNAL.retried : 0) |
        (mask & CLASS_BIT.hammering ? SIGNAL.hammering : 0) |
        (mask & CLASS_BIT['never-retried'] ? SIGNAL.neverRetried : 0);
      const score = credibilityOf(signals);
      const secondsLeft = m.maxFirstSeen[mail]! + settings.retryWindow - now;
      if (!query.all && !isWorthShowing({ secondsLeft, primary: PRIMARY[mask & -mask]!, credibility: score })) continue;
      chosen.push(mail);
      credibility[mail] = score;
      left[mail] = secondsLeft;
    }
    const order = Int32Array.from(chosen).sort(
      (a, b) => Number(left[b]! > 0) - Number(left[a]! > 0) || credibility[b]! - credibility[a]! || left[a]! - left[b]! || m.minTripletId[a]! - m.minTripletId[b]!,
    );

    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    let given = 0;
    for (let from = 0; from < order.length && given < limit; from += EVIDENCE_BATCH) {
      const batch = Array.from(order.subarray(from, from + EVIDENCE_BATCH));
      const mails = this.candidates(model, batch, masks);
      for (const [mail, candidate] of mails) {
        if (given >= limit) return;
        if (decide && this.listed(model, mail, candidate, decide)) continue;
        const domain = m.domain[mail]!;
        const passedNetworks = domain === NONE ? 0 : model.passes.count(domain, forgotten, asked);
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
  private askedDomains(model: WaitingMail, masks: Map<number, number>, candidateDomains: Uint8Array, decide: ListsDecision | undefined): (domain: number) => boolean {
    const m = model.mails.cols;
    const ambiguous = (d: number) => candidateDomains[d] === 1 && model.parents[d] !== d && candidateDomains[model.parents[d]!] === 1;
    const asked = new Uint8Array(candidateDomains);
    if (decide) {
      const doubtful = [...masks.keys()].filter((mail) => m.domain[mail] !== NONE && ambiguous(m.domain[mail]!));
      for (const d of new Set(doubtful.map((mail) => m.domain[mail]!))) asked[d] = 0;
      for (const [mail, candidate] of this.candidates(model, doubtful, masks)) {
        if (!this.listed(model, mail, candidate, decide)) asked[m.domain[mail]!] = 1;
      }
    }
    return (domain) => asked[domain] === 1;
  }

  /** The mails with their texts and attempts, as the classifier's rows, in the order given. */
  private candidates(model: WaitingMail, mails: readonly number[], masks: Map<number, number>): Map<number, CandidateMail> {
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
    for (const row of attempts.values()) stringIds.push(row.clientAddress, row.clientName, row.sender, row.recipient, row.action, row.reason);
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
          });
        }
        if (rows.length > 0) perTriplet.push({ clientGroup, rows });
      }
      if (perTriplet.length === 0) continue;
      const all = perTriplet.length === 1 ? perTriplet[0]!.rows : perTriplet.flatMap((p) => p.rows).sort((x, y) => x.at - y.at);
      made.set(mail, { sender, recipient, triplets, perTriplet, all, classes: classesOfMask(masks.get(mail)!) });
    }
    return made;
  }
}

function entryExpiresBetween(snapshot: PolicySnapshot, a: number, b: number): boolean {
  const [low, high] = a <= b ? [a, b] : [b, a];
  for (const table of Object.values(snapshot.lists)) for (const expires of table.expires) if (expires > low && expires <= high) return true;
  return false;
}
