import type { ImpactReport, ReplayOutcome } from '../../shared/insight-contract.js';
import type { Settings } from '../../shared/settings.js';
import { clientAfterPass, isAutoAllowed, tripletAfter, tripletStep } from '../filter/engine.js';
import type { ClientPasses, TripletState } from '../store/greylist-store.js';
import { MAIL_KIND, type MailChunk, type MailScan } from '../store/mail-scan.js';
import { NumberMap } from '../../shared/number-map.js';
import { GROUP_SPAN, groupingOf, type Grouping } from './client-grouping.js';
import { ClientColumns, TripletColumns } from './replay-state.js';

/** The settings a replay decides by; the lists are the ones the log was decided with. */
export type ReplaySettings = Pick<Settings, 'delay' | 'retryWindow' | 'maxAge' | 'clientPrefixV4' | 'clientPrefixV6' | 'autoAllowAfter' | 'autoAllowBy' | 'mode'>;

/**
 * What the log cannot tell and the replay has to assume. Once a mail got through, its sender
 * stopped trying, so where a setting would still defer it, its later retries are extrapolated at
 * its last observed interval (at least a minute; Postfix backs off further, so this is the
 * optimistic side), from its last client. A sender gives up after five days (Postfix's
 * maximal_queue_lifetime); a mail silent for less than two hours (Postfix's maximal_backoff is
 * 4000 s) may still come back and counts as pending. A triplet the log shows passed before the
 * replayed period, and a client it shows auto-allowed before any pass was counted here, are
 * taken as such under either setting.
 */
export const REPLAY_ASSUMPTIONS = {
  giveUpAfter: 5 * 86_400,
  pendingFor: 2 * 3600,
  minRetryInterval: 60,
} as const;

const DEFER = 0;
const LET_IN = 1;

class Outcome {
  delayed = 0;
  passedAtOnce = 0;
  lost = 0;
  neverRetried = 0;
  pending = 0;
  private delays = new Float64Array(1024);

  addDelay(seconds: number): void {
    if (seconds <= 0) return void this.passedAtOnce++;
    if (this.delayed === this.delays.length) {
      const grown = new Float64Array(this.delays.length * 2);
      grown.set(this.delays);
      this.delays = grown;
    }
    this.delays[this.delayed++] = seconds;
  }

  report(settings: ReplaySettings): ReplayOutcome {
    const sorted = this.delays.subarray(0, this.delayed).sort();
    const rank = (p: number) => (this.delayed === 0 ? null : sorted[Math.max(0, Math.ceil(p * this.delayed) - 1)]!);
    const { maxAge: _maxAge, ...replayed } = settings;
    return {
      settings: replayed,
      delayed: this.delayed,
      passedAtOnce: this.passedAtOnce,
      addedDelayP50: rank(0.5),
      addedDelayP95: rank(0.95),
      lost: this.lost,
      neverRetried: this.neverRetried,
      pending: this.pending,
    };
  }
}

/**
 * The filter's greylisting under one set of settings: the engine's own steps (auto-allow, mode,
 * triplet state) over state kept by number, fed the log's attempts in order.
 */
class SettingsReplay {
  readonly outcome = new Outcome();
  /** The first triplet of each mail, by mail number, and the rest by mail and group. */
  private firstGroup: Int32Array<ArrayBuffer>;
  private readonly firstTriplets: TripletColumns;
  private readonly otherSlots = new NumberMap();
  private readonly otherTriplets = new TripletColumns();
  private readonly records: ClientColumns;

  constructor(
    readonly settings: ReplaySettings,
    private readonly grouping: Grouping,
    /** Passes a client auto-allowed in the log is taken to have: the threshold it was allowed by. */
    private readonly seedPasses: number,
    expected: { mails: number; clients: number },
  ) {
    this.firstGroup = new Int32Array(expected.mails).fill(-1);
    this.firstTriplets = new TripletColumns(expected.mails);
    this.records = new ClientColumns(expected.clients);
  }

  private group(client: number): number {
    return this.grouping.group(client);
  }

  /** The client auto-allow counts: its address, or its group under these settings (autoAllowBy). */
  private recordKey(client: number): number {
    return this.settings.autoAllowBy === 'network' ? this.group(client) : client;
  }

  /** The slot of a mail's triplet from a group other than its first one (-1: none yet). */
  private otherSlot(mail: number, group: number): number {
    return this.otherSlots.get(mail * GROUP_SPAN + group);
  }

  /** The mail's triplet for the client's group, in an object the next read overwrites. */
  triplet(mail: number, client: number): TripletState | undefined {
    const group = this.group(client);
    if (mail >= this.firstGroup.length) this.firstGroup = grow(this.firstGroup, mail, -1);
    const first = this.firstGroup[mail]!;
    if (first === group) return this.firstTriplets.read(mail);
    if (first === -1) return undefined;
    const slot = this.otherSlot(mail, group);
    return slot === -1 ? undefined : this.otherTriplets.read(slot);
  }

  private store(mail: number, client: number, triplet: TripletState): void {
    const group = this.group(client);
    const first = this.firstGroup[mail]!;
    if (first === -1 || first === group) {
      this.firstGroup[mail] = group;
      this.firstTriplets.write(mail, triplet);
      return;
    }
    let slot = this.otherSlot(mail, group);
    if (slot === -1) this.otherSlots.set(mail * GROUP_SPAN + group, (slot = this.otherSlots.size));
    this.otherTriplets.write(slot, triplet);
  }

  /** One attempt, as decide() takes it after the lists: LET_IN (auto-allowed, not grey-listed, passed) or DEFER. */
  attempt(mail: number, client: number, at: number, kind: number, greyListed: boolean, passedBefore: boolean): number {
    const { settings } = this;
    const counting = settings.autoAllowAfter > 0;
    const key = counting ? this.recordKey(client) : 0;
    let record = counting ? this.records.read(key) : undefined;
    if (counting && !record && kind === MAIL_KIND.autoAllowed) {
      this.records.write(key, { passes: this.seedPasses, lastCountedAt: at, lastSeen: at });
      record = this.records.read(key);
    }
    if (isAutoAllowed(record, settings, at)) {
      this.count(key, record, at, false);
      return LET_IN;
    }
    if (settings.mode === 'grey-list-only' && !greyListed) return LET_IN;
    let triplet = this.triplet(mail, client);
    if (!triplet && passedBefore) triplet = { firstSeen: at, lastSeen: at, attempts: 1, earlyAttempts: 0, passedAt: at, passes: 1 };
    const step = tripletStep(triplet, settings, at);
    this.store(mail, client, tripletAfter(step, triplet, at));
    if (step !== 'known' && step !== 'passed') return DEFER;
    if (counting) this.count(key, record, at, step === 'passed');
    return LET_IN;
  }

  private count(key: number, record: ClientPasses | undefined, at: number, proves: boolean): void {
    const { clientPasses } = clientAfterPass(record, '', at, proves);
    if (clientPasses) this.records.write(key, clientPasses);
  }
}

function grow<T extends Int32Array>(array: T, index: number, fill: number): T {
  let size = array.length;
  while (size <= index) size *= 2;
  const grown = new Int32Array(size).fill(fill);
  grown.set(array);
  return grown as T;
}

/**
 * Replays the attempt log under two settings in one pass. A mail is a sender and recipient
 * (from whichever client, as a pool of servers sends it): it opens with its first attempt and
 * closes when the log shows it got through, after which its sender stopped retrying.
 */
export class ImpactReplay {
  private readonly replays: [SettingsReplay, SettingsReplay];
  private mailStart: Float64Array<ArrayBuffer>;
  private lastAt: Float64Array<ArrayBuffer>;
  private previousAt: Float64Array<ArrayBuffer>;
  private lastClient: Int32Array<ArrayBuffer>;
  private attempts: Int32Array<ArrayBuffer>;
  /** Bit s set: the open mail got through under settings s. */
  private passed: Uint8Array<ArrayBuffer>;
  /** Triplets whose first attempt is in the replayed period. */
  private readonly begunHere: Uint8Array;
  rows = 0;
  mails = 0;

  constructor(scan: Pick<MailScan, 'maxTripletId' | 'clients'> & Partial<Pick<MailScan, 'mailCount'>>, current: ReplaySettings, proposed: ReplaySettings) {
    this.begunHere = new Uint8Array(scan.maxTripletId + 1);
    // A kept log knows its mails and clients before the replay starts; a fresh scan numbers them as it reads.
    const expected = { mails: Math.max(1024, (scan.mailCount?.() ?? 0) + 1), clients: Math.max(1024, scan.clients.length + 1) };
    this.mailStart = new Float64Array(expected.mails).fill(Number.NaN);
    this.lastAt = new Float64Array(expected.mails);
    this.previousAt = new Float64Array(expected.mails);
    this.lastClient = new Int32Array(expected.mails);
    this.attempts = new Int32Array(expected.mails);
    this.passed = new Uint8Array(expected.mails);
    const grouping = (s: ReplaySettings) => groupingOf(scan.clients, s.clientPrefixV4, s.clientPrefixV6);
    this.replays = [
      new SettingsReplay(current, grouping(current), current.autoAllowAfter, expected),
      new SettingsReplay(proposed, grouping(proposed), current.autoAllowAfter, expected),
    ];
  }

  push(chunk: MailChunk): void {
    const { at, kinds, clients, mails, triplets, grey } = chunk;
    for (let i = 0; i < chunk.length; i++) this.attempt(mails[i]!, clients[i]!, at[i]!, kinds[i]!, triplets[i]!, grey[i] === 1);
    this.rows += chunk.length;
  }

  private attempt(mail: number, client: number, at: number, kind: number, triplet: number, greyListed: boolean): void {
    if (kind === MAIL_KIND.firstContact) this.begunHere[triplet] = 1;
    // The retries and pass of a mail whose first attempt is before the replayed period are skipped with it.
    else if ((kind === MAIL_KIND.retry || kind === MAIL_KIND.passed) && !this.begunHere[triplet]) return;
    if (mail >= this.mailStart.length) this.growMails(mail);
    let open = !Number.isNaN(this.mailStart[mail]!);
    if (open && kind === MAIL_KIND.firstContact && at - this.mailStart[mail]! > REPLAY_ASSUMPTIONS.giveUpAfter) {
      this.settle(mail, Number.POSITIVE_INFINITY);
      open = false;
    }
    if (open) {
      this.previousAt[mail] = this.lastAt[mail]!;
      this.attempts[mail]!++;
    } else {
      this.mails++;
      this.mailStart[mail] = at;
      this.previousAt[mail] = at;
      this.attempts[mail] = 1;
      this.passed[mail] = 0;
    }
    this.lastAt[mail] = at;
    this.lastClient[mail] = client;
    const passedBefore = kind === MAIL_KIND.known && !this.begunHere[triplet];
    for (let s = 0; s < 2; s++) {
      const verdict = this.replays[s]!.attempt(mail, client, at, kind, greyListed, passedBefore);
      if (verdict === LET_IN && !(this.passed[mail]! & (1 << s))) {
        this.passed[mail]! |= 1 << s;
        this.replays[s]!.outcome.addDelay(at - this.mailStart[mail]!);
      }
    }
    if (kind !== MAIL_KIND.firstContact && kind !== MAIL_KIND.retry) this.closeAfterDelivery(mail, greyListed);
  }

  /** The log let the mail through here: where a setting still defers it, its sender keeps retrying at its last interval. */
  private closeAfterDelivery(mail: number, greyListed: boolean): void {
    const start = this.mailStart[mail]!;
    const client = this.lastClient[mail]!;
    const interval = Math.max(REPLAY_ASSUMPTIONS.minRetryInterval, this.lastAt[mail]! - this.previousAt[mail]!);
    for (let s = 0; s < 2; s++) {
      if (this.passed[mail]! & (1 << s)) continue;
      const replay = this.replays[s]!;
      let at = this.lastAt[mail]!;
      for (;;) {
        const triplet = replay.triplet(mail, client);
        const due = triplet && triplet.passedAt === null ? triplet.firstSeen + replay.settings.delay : at;
        at += Math.max(1, Math.ceil((due - at) / interval)) * interval;
        if (at - start > REPLAY_ASSUMPTIONS.giveUpAfter) {
          replay.outcome.lost++;
          break;
        }
        if (replay.attempt(mail, client, at, MAIL_KIND.retry, greyListed, false) === LET_IN) {
          replay.outcome.addDelay(at - start);
          break;
        }
      }
    }
    this.mailStart[mail] = Number.NaN;
  }

  /** Counts a mail that never got through in the log, as of `now`. */
  private settle(mail: number, now: number): void {
    const silent = now - this.lastAt[mail]!;
    for (let s = 0; s < 2; s++) {
      if (this.passed[mail]! & (1 << s)) continue;
      const outcome = this.replays[s]!.outcome;
      if (silent < REPLAY_ASSUMPTIONS.pendingFor) outcome.pending++;
      else if (this.attempts[mail] === 1) outcome.neverRetried++;
      else outcome.lost++;
    }
    this.mailStart[mail] = Number.NaN;
  }

  private growMails(mail: number): void {
    let size = this.mailStart.length;
    while (size <= mail) size *= 2;
    const widen = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (n: number) => T) => {
      const grown = make(size);
      grown.set(array);
      return grown;
    };
    const start = new Float64Array(size).fill(Number.NaN);
    start.set(this.mailStart);
    this.mailStart = start;
    this.lastAt = widen(this.lastAt, (n) => new Float64Array(n));
    this.previousAt = widen(this.previousAt, (n) => new Float64Array(n));
    this.lastClient = widen(this.lastClient, (n) => new Int32Array(n));
    this.attempts = widen(this.attempts, (n) => new Int32Array(n));
    this.passed = widen(this.passed, (n) => new Uint8Array(n));
  }

  finish(now: number): Omit<ImpactReport, 'elapsedMs'> {
    for (let mail = 0; mail < this.mailStart.length; mail++) if (!Number.isNaN(this.mailStart[mail]!)) this.settle(mail, now);
    return {
      attempts: this.rows,
      mails: this.mails,
      current: this.replays[0].outcome.report(this.replays[0].settings),
      proposed: this.replays[1].outcome.report(this.replays[1].settings),
    };
  }
}

export function replayImpact(scan: MailScan, current: ReplaySettings, proposed: ReplaySettings, now: number): ImpactReport {
  const started = performance.now();
  const replay = new ImpactReplay(scan, current, proposed);
  for (const chunk of scan.chunks()) replay.push(chunk);
  return { ...replay.finish(now), elapsedMs: Math.round(performance.now() - started) };
}
