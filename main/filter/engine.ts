import { asciiAddress, asciiDomain } from '../../shared/idn.js';
import { clientGroup } from '../../shared/net.js';
import { normaliseSender } from '../../shared/sender.js';
import { fillReplyTemplate } from '../../shared/reply-template.js';
import type { Settings } from '../../shared/settings.js';
import type { AttemptAction, ClientPasses, GreylistState, TripletKey, TripletState } from '../store/greylist-store.js';
import type { ListHit, ListMatcher, MatchSubject } from './list-matcher.js';

/** The attributes of a policy request the decision looks at. */
export interface PolicyQuestion {
  protocolState: string;
  clientAddress: string;
  clientName: string;
  sender: string;
  recipient: string;
}

export interface Policy {
  settings: Settings;
  lists: ListMatcher;
  /** Named in the X-Greylist header. */
  productVersion: string;
}

export type Reason =
  | 'not-rcpt-stage'
  | 'deny-list'
  | 'allow-list'
  | 'auto-allowed'
  | 'not-grey-listed'
  | 'new'
  | 'early'
  | 'window-expired'
  | 'max-age-expired'
  | 'passed'
  | 'known';

export interface Decision {
  action: AttemptAction;
  reason: Reason;
  /** The rule or triplet that decided, in words an administrator can search for. */
  rule: string;
  /** The line for Postfix, e.g. "DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds". */
  reply: string;
  /** For a pass: seconds the mail was delayed. For a defer: seconds until a retry passes. */
  delay: number | null;
  tripletKey?: TripletKey;
  triplet?: TripletState;
  clientPasses?: ClientPasses;
  listEntry?: ListHit;
}

const MINUTE = 60;
const HOUR = 3600;

/** The sender and recipient of a triplet's key: attempts with the same ones are one mail, from whichever client. */
export function mailOf(question: Pick<PolicyQuestion, 'sender' | 'recipient'>, settings: Pick<Settings, 'normaliseSender'>): { sender: string; recipient: string } {
  const recipient = question.recipient.trim().toLowerCase();
  const sender = settings.normaliseSender ? normaliseSender(question.sender) : question.sender.trim().toLowerCase() || '<>';
  return { sender, recipient };
}

export function greylistKey(question: PolicyQuestion, settings: Settings): TripletKey {
  return { clientGroup: clientGroup(question.clientAddress, settings.clientPrefixV4, settings.clientPrefixV6), ...mailOf(question, settings) };
}

/** The client as auto-allow counts it: its exact address, or its network when autoAllowBy is network. */
export function autoAllowClient(question: Pick<PolicyQuestion, 'clientAddress'>, settings: Settings): string {
  return settings.autoAllowBy === 'network'
    ? clientGroup(question.clientAddress, settings.clientPrefixV4, settings.clientPrefixV6)
    : clientGroup(question.clientAddress, 32, 128);
}

export function matchSubject(question: PolicyQuestion): MatchSubject {
  const name = asciiDomain(question.clientName.trim().toLowerCase().replace(/\.$/, ''));
  return {
    clientAddress: question.clientAddress.trim(),
    clientName: name === 'unknown' ? '' : name,
    sender: asciiAddress(question.sender.trim().toLowerCase()),
    recipient: asciiAddress(question.recipient.trim().toLowerCase()),
  };
}

/**
 * Why a valid request is not one to greylist (it is answered DUNNO), or undefined for a recipient
 * to decide. Postfix asks at other stages too, e.g. from smtpd_client_restrictions or at DATA.
 */
export function notGreylisted(question: PolicyQuestion): string | undefined {
  if (question.protocolState.toUpperCase() !== 'RCPT') return `stage ${question.protocolState || 'unknown'}`;
  if (!question.recipient) return 'no recipient';
  if (!question.clientAddress) return 'no client address';
  return undefined;
}

function describeEntry(entry: ListHit): string {
  return `${entry.list} ${entry.kind} ${entry.pattern} (#${entry.id})`;
}

/**
 * A client's record after one of its mails passed, or nothing when there is nothing worth storing.
 * Only a triplet's first pass after the delay proves that the client retries (`proves`), and one
 * counts at most once an hour, as postgrey counts; a pass of a known triplet or of an
 * auto-allowed client only keeps the record alive. The last-seen time, which only decides expiry
 * weeks away, is stored to the minute: a busy client passes many times a minute.
 */
export function clientAfterPass(previous: ClientPasses | undefined, client: string, now: number, proves: boolean): { clientPasses?: ClientPasses } {
  if (!previous) return { clientPasses: { client, passes: proves ? 1 : 0, lastCountedAt: proves ? now : 0, lastSeen: now } };
  const counts = proves && now - previous.lastCountedAt >= HOUR;
  if (!counts && now - previous.lastSeen < MINUTE) return {};
  const clientPasses = {
    client,
    passes: previous.passes + (counts ? 1 : 0),
    lastCountedAt: counts ? now : previous.lastCountedAt,
    lastSeen: now,
  };
  return { clientPasses };
}

/** Whether a client's record lets its mail in without greylisting at `now`. */
export function isAutoAllowed(client: ClientPasses | undefined, settings: Pick<Settings, 'autoAllowAfter' | 'maxAge'>, now: number): boolean {
  return settings.autoAllowAfter > 0 && !!client && client.passes >= settings.autoAllowAfter && now - client.lastSeen <= settings.maxAge;
}

/** How an attempt stands with its triplet: the last step of decide(), after the lists, auto-allow and the mode. */
export type TripletStep = 'new' | 'max-age-expired' | 'known' | 'window-expired' | 'early' | 'passed';

export function tripletStep(triplet: TripletState | undefined, settings: Pick<Settings, 'delay' | 'retryWindow' | 'maxAge'>, now: number): TripletStep {
  if (!triplet) return 'new';
  if (triplet.passedAt !== null) return now - triplet.lastSeen > settings.maxAge ? 'max-age-expired' : 'known';
  const elapsed = now - triplet.firstSeen;
  if (elapsed > settings.retryWindow) return 'window-expired';
  return elapsed < settings.delay ? 'early' : 'passed';
}

/** The triplet as stored after the attempt took `step`. */
export function tripletAfter(step: TripletStep, triplet: TripletState | undefined, now: number): TripletState {
  if (!triplet || step === 'new' || step === 'max-age-expired' || step === 'window-expired') {
    return { firstSeen: now, lastSeen: now, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
  }
  if (step === 'early') return { ...triplet, lastSeen: now, attempts: triplet.attempts + 1, earlyAttempts: triplet.earlyAttempts + 1 };
  if (step === 'known') return { ...triplet, lastSeen: now, attempts: triplet.attempts + 1, passes: triplet.passes + 1 };
  return { ...triplet, lastSeen: now, attempts: triplet.attempts + 1, passedAt: now, passes: triplet.passes + 1 };
}

/**
 * Decides one recipient. Pure: the clock, the policy and the stored state come in, the reply and
 * the state to store go out, so every branch is testable without waiting for a delay.
 * Order: stage → deny list → allow list → auto-allowed client → mode → triplet state.
 */
export function decide(question: PolicyQuestion, policy: Policy, state: GreylistState, now: number): Decision {
  const { settings, lists } = policy;
  const skipped = notGreylisted(question);
  if (skipped) return { action: 'allow', reason: 'not-rcpt-stage', rule: skipped, reply: 'DUNNO', delay: null };
  const key = greylistKey(question, settings);
  const subject = matchSubject(question);
  const template = (text: string, seconds: number) =>
    fillReplyTemplate(text, {
      seconds,
      delay: settings.delay,
      sender: subject.sender || '<>',
      recipient: subject.recipient,
      client: subject.clientAddress,
    });

  const denied = lists.match('deny', subject, now);
  if (denied) {
    return {
      action: 'reject',
      reason: 'deny-list',
      rule: describeEntry(denied),
      reply: `REJECT 5.7.1 ${template(settings.denyReply, 0)}`,
      delay: null,
      listEntry: denied,
    };
  }
  const allowed = lists.match('allow', subject, now);
  if (allowed) {
    return { action: 'allow', reason: 'allow-list', rule: describeEntry(allowed), reply: 'DUNNO', delay: null, listEntry: allowed };
  }
  const client = state.clientPasses;
  const clientKey = autoAllowClient(question, settings);
  if (isAutoAllowed(client, settings, now)) {
    return {
      action: 'allow',
      reason: 'auto-allowed',
      rule: `auto-allowed client ${clientKey} (${client!.passes} triplets passed)`,
      reply: 'DUNNO',
      delay: null,
      ...clientAfterPass(client, clientKey, now, false),
    };
  }
  let greyEntry: ListHit | undefined;
  if (settings.mode === 'grey-list-only') {
    greyEntry = lists.match('grey', subject, now);
    if (!greyEntry) return { action: 'allow', reason: 'not-grey-listed', rule: 'mode grey-list-only', reply: 'DUNNO', delay: null };
  }
  const tripletRule = `triplet ${key.clientGroup} ${key.sender} ${key.recipient}`;
  const startOver = (reason: Reason, triplet: TripletState): Decision => ({
    action: 'defer',
    reason,
    rule: tripletRule,
    reply: `DEFER_IF_PERMIT 4.7.1 ${template(settings.deferReply, settings.delay)}`,
    delay: settings.delay,
    tripletKey: key,
    triplet,
    ...(greyEntry ? { listEntry: greyEntry } : {}),
  });
  const pass = (reason: Reason, triplet: TripletState, delayed: number | null, reply: string): Decision => ({
    action: 'pass',
    reason,
    rule: tripletRule,
    reply,
    delay: delayed,
    tripletKey: key,
    triplet,
    ...clientAfterPass(client, clientKey, now, reason === 'passed'),
    ...(greyEntry ? { listEntry: greyEntry } : {}),
  });

  const step = tripletStep(state.triplet, settings, now);
  const next = tripletAfter(step, state.triplet, now);
  switch (step) {
    case 'new':
    case 'max-age-expired':
    case 'window-expired':
      return startOver(step, next);
    case 'known':
      return pass('known', next, null, 'DUNNO');
    case 'early': {
      const left = settings.delay - (now - state.triplet!.firstSeen);
      return {
        action: 'defer',
        reason: 'early',
        rule: tripletRule,
        reply: `DEFER_IF_PERMIT 4.7.1 ${template(settings.deferReply, left)}`,
        delay: left,
        tripletKey: key,
        triplet: next,
        ...(greyEntry ? { listEntry: greyEntry } : {}),
      };
    }
    case 'passed': {
      const elapsed = now - state.triplet!.firstSeen;
      const header = `PREPEND X-Greylist: delayed ${elapsed} seconds by Greyward-${policy.productVersion}; ${new Date(now * 1000).toUTCString()}`;
      return pass('passed', next, elapsed, settings.passHeader ? header : 'DUNNO');
    }
  }
}
