import type { Suspect, SuspectClass } from '../../shared/insight-contract.js';
import type { Settings } from '../../shared/settings.js';
import type { PassedTripletRow, WaitingAttemptRow, WaitingTripletRow } from '../store/insight-queries.js';
import { scoreCredibility } from './credibility.js';
import { domainOf, ipFamilyOfGroup, registrableDomain, verifiedName } from './domains.js';
import { summarise } from './summary.js';

/**
 * The rules, in seconds and counts. Real MTAs retry after minutes (Postfix: 5 min, backing off to
 * about an hour), so silence longer than that after early retries means the sender has given up.
 */
export const CLASSIFICATION_RULES = {
  /** A single attempt followed by this much silence is never-retried. */
  neverRetriedAfter: 3600,
  /** Early retries followed by this much silence are early-then-gone: max(2 × delay, 15 min). */
  goneAfter: (delay: number) => Math.max(2 * delay, 900),
  /** Hammering: this many retries inside the delay on one network… */
  hammeringEarlyRetries: 5,
  /** …or at least this many retries whose median gap is under this many seconds. */
  hammeringMinRetries: 3,
  hammeringMedianGap: 30,
} as const;

/** Most telling first: the primary class of a suspect is the first of its classes in this order. */
const PRIORITY: readonly SuspectClass[] = ['hammering', 'pool-rotation', 'family-switch', 'early-then-gone', 'never-retried'];

export interface PassHistory {
  /** Passed triplets of the same sender and recipient (other networks), with when they were last used. */
  passedSameMail: readonly PassedTripletRow[];
  /** How many client networks each registrable sender domain has passed from. */
  domainPassedNetworks: ReadonlyMap<string, number>;
}

export interface ClassifyInput {
  /** Triplets that have not passed, with their window open or closed recently. */
  triplets: readonly WaitingTripletRow[];
  /** Their attempts of the current round, grouped by triplet in log order. */
  attempts: readonly WaitingAttemptRow[];
  settings: Pick<Settings, 'delay' | 'retryWindow'>;
  now: number;
  history?: PassHistory;
  /** True when the lists would now let this attempt through: a fix already made, not a suspect any more. */
  wouldPass?: (attempt: WaitingAttemptRow) => boolean;
}

export const mailKey = (sender: string, recipient: string) => `${sender}\0${recipient}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface TripletAttempts {
  clientGroup: string;
  rows: WaitingAttemptRow[];
}

/** The attempt times of one triplet of a mail, in log order, and the IP family of its network. */
export interface TripletTimes {
  family: 4 | 6;
  at: ArrayLike<number>;
}

/**
 * What the classes of a mail depend on besides the time, one bit each: kept per mail by the
 * waiting-mail model, and recomputed only when its attempts change.
 */
export const SHAPE = {
  hammering: 1,
  /** Some triplet retried, and only before the delay. */
  earlyRetriesOnly: 2,
  single: 4,
  poolRotation: 8,
  familySwitch: 16,
} as const;

export function mailShape(perTriplet: readonly TripletTimes[], settings: ClassifyInput['settings']): number {
  const rules = CLASSIFICATION_RULES;
  let shape = 0;
  let attempts = 0;
  for (const { at } of perTriplet) {
    attempts += at.length;
    const retries = at.length - 1;
    // A waiting round's retries were all deferred, each by the delay in force when it came (a retry
    // after it would have passed): all of them are early, whatever the delay is now.
    const early = retries;
    const gaps: number[] = [];
    for (let i = 1; i < at.length; i++) gaps.push(at[i]! - at[i - 1]!);
    if (early >= rules.hammeringEarlyRetries || (retries >= rules.hammeringMinRetries && median(gaps) < rules.hammeringMedianGap)) shape |= SHAPE.hammering;
    if (retries >= 1 && early === retries) shape |= SHAPE.earlyRetriesOnly;
  }
  if (attempts === 1) shape |= SHAPE.single;
  // Other networks (or the other IP family) count only within a retry window of each other: later, it is another mail.
  for (let i = 0; i < perTriplet.length; i++) {
    for (let j = i + 1; j < perTriplet.length; j++) {
      const [a, b] = [perTriplet[i]!, perTriplet[j]!];
      if (Math.abs(a.at[0]! - b.at[0]!) > settings.retryWindow) continue;
      shape |= a.family === b.family ? SHAPE.poolRotation : SHAPE.familySwitch;
    }
  }
  return shape;
}

/** One bit per class, the most telling lowest: the primary class is the lowest bit set. */
export const CLASS_BIT: Readonly<Record<SuspectClass, number>> = Object.fromEntries(PRIORITY.map((c, i) => [c, 1 << i])) as Record<SuspectClass, number>;

/** The classes of a mail of `shape` whose last attempt was at `lastAt`, as bits. */
export function classMask(shape: number, lastAt: number, settings: ClassifyInput['settings'], now: number): number {
  const rules = CLASSIFICATION_RULES;
  const silence = now - lastAt;
  let mask = 0;
  if (shape & SHAPE.hammering) mask |= CLASS_BIT.hammering;
  if (shape & SHAPE.earlyRetriesOnly && silence >= rules.goneAfter(settings.delay)) mask |= CLASS_BIT['early-then-gone'];
  if (shape & SHAPE.single && silence >= rules.neverRetriedAfter) mask |= CLASS_BIT['never-retried'];
  if (shape & SHAPE.poolRotation) mask |= CLASS_BIT['pool-rotation'];
  if (shape & SHAPE.familySwitch) mask |= CLASS_BIT['family-switch'];
  return mask;
}

export function classesOfMask(mask: number): SuspectClass[] {
  return PRIORITY.filter((c) => mask & CLASS_BIT[c]);
}

/** A sender and recipient with at least one class, before history and credibility. */
export interface CandidateMail {
  sender: string;
  recipient: string;
  triplets: WaitingTripletRow[];
  perTriplet: TripletAttempts[];
  /** Every attempt, in time order. */
  all: WaitingAttemptRow[];
  classes: SuspectClass[];
}

/** The mails that fit a class; cheap, so that history is loaded for these only. */
export function findCandidates(input: Omit<ClassifyInput, 'history'>): CandidateMail[] {
  const { settings, now } = input;
  const byTriplet = new Map<number, WaitingAttemptRow[]>();
  for (const attempt of input.attempts) {
    const rows = byTriplet.get(attempt.tripletId);
    if (rows) rows.push(attempt);
    else byTriplet.set(attempt.tripletId, [attempt]);
  }
  const mails = new Map<string, WaitingTripletRow[]>();
  for (const triplet of input.triplets) {
    const key = mailKey(triplet.sender, triplet.recipient);
    const triplets = mails.get(key);
    if (triplets) triplets.push(triplet);
    else mails.set(key, [triplet]);
  }
  const candidates: CandidateMail[] = [];
  for (const triplets of mails.values()) {
    const perTriplet: TripletAttempts[] = [];
    for (const triplet of triplets) {
      const rows = byTriplet.get(triplet.id);
      if (rows?.length) perTriplet.push({ clientGroup: triplet.clientGroup, rows });
    }
    if (perTriplet.length === 0) continue;
    const all = perTriplet.length === 1 ? perTriplet[0]!.rows : perTriplet.flatMap((t) => t.rows).sort((a, b) => a.at - b.at);
    const shape = mailShape(perTriplet.map((t) => ({ family: ipFamilyOfGroup(t.clientGroup), at: t.rows.map((r) => r.at) })), settings);
    const classes = classesOfMask(classMask(shape, all.at(-1)!.at, settings, now));
    if (classes.length === 0 || input.wouldPass?.(all.at(-1)!)) continue;
    candidates.push({ sender: triplets[0]!.sender, recipient: triplets[0]!.recipient, triplets, perTriplet, all, classes });
  }
  return candidates;
}

/** Below this, a spam-like suspect (hammering, never retried) is left out of the default list. */
export const SPAM_LIKE_SHOWN_FROM = 0.5;

/** The default list: open windows, and spam-like suspects only when credible. */
export function isWorthShowing(suspect: Pick<Suspect, 'secondsLeft' | 'primary' | 'credibility'>): boolean {
  if (suspect.secondsLeft <= 0) return false;
  const spamLike = suspect.primary === 'hammering' || suspect.primary === 'never-retried';
  return !spamLike || suspect.credibility >= SPAM_LIKE_SHOWN_FROM;
}

export type ScoredSuspect = Omit<Suspect, 'summary' | 'evidence'>;

export interface SuspectSelection {
  /** Which suspects to keep, decided before their evidence is built. */
  keep?: (suspect: ScoredSuspect) => boolean;
  limit?: number;
}

/** Open windows before closed ones, then credibility, then the least time left. */
export const byRisk = (a: Pick<ScoredSuspect, 'secondsLeft' | 'credibility' | 'id'>, b: Pick<ScoredSuspect, 'secondsLeft' | 'credibility' | 'id'>) =>
  Number(b.secondsLeft > 0) - Number(a.secondsLeft > 0) || b.credibility - a.credibility || a.secondsLeft - b.secondsLeft || a.id - b.id;

/** The suspect a candidate mail makes, scored, before its summary and evidence. */
export function scoreSuspect(mail: CandidateMail, domainPassedNetworks: number, { settings, now }: Pick<ClassifyInput, 'settings' | 'now'>): ScoredSuspect {
  const { sender, recipient, triplets, perTriplet, all, classes } = mail;
  const clientGroups = perTriplet.map((t) => t.clientGroup);
  const names = new Set<string>();
  let everyNetworkNamed = true;
  for (const { rows } of perTriplet) {
    let named = false;
    for (const row of rows) {
      const name = verifiedName(row.clientName);
      if (name) names.add(name), (named = true);
    }
    everyNetworkNamed &&= named;
  }
  const senderDomain = registrableDomain(domainOf(sender));
  const { credibility, reasons } = scoreCredibility({
    senderDomain,
    classes,
    attempts: all.length,
    clientGroups,
    clientNames: [...names],
    everyNetworkNamed,
    domainPassedNetworks,
  });
  const tripletIds = triplets.map((t) => t.id).sort((a, b) => a - b);
  const windowEndsAt = Math.max(...triplets.map((t) => t.firstSeen)) + settings.retryWindow;
  return {
    id: tripletIds[0]!,
    tripletIds,
    sender,
    recipient,
    senderDomain,
    primary: classes[0]!,
    classes,
    credibility,
    credibilityReasons: reasons,
    clientGroups,
    firstSeen: all[0]!.at,
    lastSeen: all.at(-1)!.at,
    attempts: all.length,
    windowEndsAt,
    secondsLeft: windowEndsAt - now,
  };
}

/** A scored suspect with the one-line summary and every attempt as evidence. */
export function withEvidence(suspect: ScoredSuspect, all: readonly WaitingAttemptRow[], { settings, now }: Pick<ClassifyInput, 'settings' | 'now'>): Suspect {
  return {
    ...suspect,
    summary: summarise({ primary: suspect.primary, attempts: all, clientGroups: suspect.clientGroups, now }),
    evidence: all.map(({ at, clientAddress, clientName, action, reason, tripletId, filter }) => ({
      at,
      clientAddress,
      clientName,
      action,
      reason,
      tripletId,
      ...(filter !== undefined ? { filter } : {}),
    })),
  };
}

/**
 * Suspects of the candidates, most credible first: open windows before closed ones, then
 * credibility, then the least time left. A mail that got through from another network of its
 * pool after it started is not at risk any more and is left out.
 */
export function toSuspects(
  candidates: readonly CandidateMail[],
  { settings, now, history }: Pick<ClassifyInput, 'settings' | 'now' | 'history'>,
  selection: SuspectSelection = {},
): Suspect[] {
  const gotThrough = new Map<string, number>();
  for (const pass of history?.passedSameMail ?? []) {
    const key = mailKey(pass.sender, pass.recipient);
    gotThrough.set(key, Math.max(gotThrough.get(key) ?? 0, pass.lastSeen));
  }
  const scored: Array<{ suspect: ScoredSuspect; mail: CandidateMail }> = [];
  for (const mail of candidates) {
    if ((gotThrough.get(mailKey(mail.sender, mail.recipient)) ?? -1) >= mail.all[0]!.at) continue;
    const passedNetworks = history?.domainPassedNetworks.get(registrableDomain(domainOf(mail.sender))) ?? 0;
    const suspect = scoreSuspect(mail, passedNetworks, { settings, now });
    if (!selection.keep || selection.keep(suspect)) scored.push({ suspect, mail });
  }
  scored.sort((a, b) => byRisk(a.suspect, b.suspect));
  return scored.slice(0, selection.limit ?? scored.length).map(({ suspect, mail }) => withEvidence(suspect, mail.all, { settings, now }));
}

/** Mail greylisting is about to lose (or has lost), one suspect per sender and recipient, most credible first. */
export function classify(input: ClassifyInput): Suspect[] {
  return toSuspects(findCandidates(input), input);
}
