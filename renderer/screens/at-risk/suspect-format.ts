import { AT_RISK_ALERT } from '../../../shared/at-risk.js';
import type { Suspect, SuspectClass, SuspectFix } from '../../../shared/insight-contract.js';
import { counted } from '../../../shared/plural.js';
import { scopedAllowOffer } from '../../../shared/scoped-fix.js';
import { formatSpan } from '../../format/time.js';

/** The classes of main/insight/classify.ts, in an administrator's words. */
export const CLASS_INFO: Record<SuspectClass, { label: string; meaning: string }> = {
  'early-then-gone': {
    label: 'Early then gone',
    meaning: 'retried only before the delay was over, then stopped: the sender gave up (Exchange 2003 SP2 did this)',
  },
  'never-retried': { label: 'Never retried', meaning: 'one attempt and nothing since; mostly spam' },
  'pool-rotation': {
    label: 'Pool rotation',
    meaning: 'retried from other client networks of a sending pool; each network starts greylisting over',
  },
  'family-switch': { label: 'IPv4/IPv6 switch', meaning: 'retried over the other IP family, where greylisting starts over' },
  hammering: { label: 'Hammering', meaning: 'many retries inside the delay, as spam bots do' },
};

export type Tone = 'good' | 'warn' | 'bad' | 'muted';

/** Credibility as people read it: a percentage and a word. */
export function credibilityOf(credibility: number): { percent: string; word: string; tone: Tone } {
  const percent = `${Math.round(credibility * 100)}%`;
  if (credibility >= AT_RISK_ALERT.minCredibility) return { percent, word: 'likely legitimate', tone: 'good' };
  if (credibility >= 0.4) return { percent, word: 'uncertain', tone: 'warn' };
  return { percent, word: 'spam-like', tone: 'bad' };
}

/**
 * Where every suspect's credibility starts before its reasons add or take points: the base of
 * CREDIBILITY_WEIGHTS in main/insight/credibility.ts (which the renderer cannot import).
 */
export const CREDIBILITY_BASE_POINTS = 30;

/** "+25" / "−35": a credibility reason's weight, as points out of 100. */
export function formatWeight(weight: number): string {
  const points = Math.round(weight * 100);
  return points >= 0 ? `+${points}` : `−${-points}`;
}

/**
 * The seconds left in a suspect's retry window now, counted on this machine's clock from when
 * the list was answered: the screens may run on another machine (the browser host over SSH),
 * whose clock need not agree with the server's.
 */
export function secondsLeftNow(suspect: Pick<Suspect, 'secondsLeft'>, answeredAt: number, now: number): number {
  return suspect.secondsLeft - Math.max(0, now - answeredAt);
}

export interface WindowLeft {
  /** "47h 12m", "closed 3h ago". */
  text: string;
  tone: Tone;
  open: boolean;
  /** Closing within the alert threshold (6 h). */
  urgent: boolean;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * A countdown in hours, the unit retry windows are set in (48h): minutes while there is time,
 * seconds once it is urgent, so that it visibly runs.
 */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (s < 60) return `${s}s`;
  if (h === 0) return `${m}m ${two(s % 60)}s`;
  if (s < AT_RISK_ALERT.withinSeconds) return `${h}h ${two(m)}m ${two(s % 60)}s`;
  return `${h}h ${two(m)}m`;
}

export function windowLeft(seconds: number): WindowLeft {
  // How long ago it closed needs no seconds: it no longer runs.
  const ago = Math.abs(seconds) < 60 ? Math.abs(seconds) : Math.abs(seconds) - (Math.abs(seconds) % 60);
  if (seconds <= 0) return { text: seconds === 0 ? 'closing now' : `closed ${formatSpan(ago)} ago`, tone: 'muted', open: false, urgent: false };
  const urgent = seconds < AT_RISK_ALERT.withinSeconds;
  return { text: countdown(seconds), tone: urgent ? 'bad' : seconds < 24 * 3600 ? 'warn' : 'good', open: true, urgent };
}

/** The first network, and how many more. */
export function networksShort(groups: readonly string[]): { first: string; more: number } {
  return { first: groups[0] ?? '—', more: Math.max(0, groups.length - 1) };
}

export interface FixInfo {
  fix: SuspectFix;
  label: string;
  /** What it does, before the dry run says exactly. */
  effect: string;
  /** Why it cannot apply to this suspect, if it cannot. */
  unavailable?: string;
}

/** "35 days", "1 day", "12 hours". */
function describeDays(seconds: number): string {
  const days = Math.round(seconds / 86_400);
  if (days >= 1) return counted(days, 'day');
  const hours = Math.max(1, Math.round(seconds / 3600));
  return counted(hours, 'hour');
}

/**
 * What to do about a sender that has gone silent (early then gone, never retried): it will not
 * retry by itself, so a fix only helps the mail once it is sent again.
 */
export function silentSenderAdvice(suspect: Pick<Suspect, 'primary'>, maxAge: number): string | undefined {
  if (suspect.primary !== 'early-then-gone' && suspect.primary !== 'never-retried') return undefined;
  return `This sender has most likely given up and will not retry by itself. Let it through here, then ask the sender to send the mail again: with "Pass now" it is accepted at once if it comes within ${describeDays(maxAge)}, even after the retry window has closed.`;
}

/**
 * The three one-click fixes for a suspect, in the order they are offered (narrowest first).
 * `maxAge`: how long a passed triplet is remembered (the maxAge setting), which is how long
 * "pass now" keeps the mail's way open.
 */
export function fixesFor(suspect: Pick<Suspect, 'sender' | 'senderDomain' | 'clientGroups' | 'tripletIds' | 'evidence'>, maxAge: number): FixInfo[] {
  const n = suspect.clientGroups.length;
  const networks = n <= 2 ? suspect.clientGroups.join(' and ') : `${suspect.clientGroups.slice(0, 2).join(', ')} and ${n - 2} more`;
  return [
    {
      fix: 'pass-now',
      label: 'Pass now',
      effect: `Its next attempt is accepted at once, and for ${describeDays(maxAge)} after (${suspect.tripletIds.length === 1 ? 'this triplet only' : `its ${counted(suspect.tripletIds.length, 'triplet')} only`}).`,
    },
    {
      fix: 'allow-client-network',
      label: n === 1 ? 'Allow the client network' : 'Allow the client networks',
      effect: `All mail from ${networks} skips greylisting from now on.`,
    },
    domainFix(suspect),
  ];
}

/** The sender domain from where its mail came from only, as the fix will add it (shared/scoped-fix.ts): its label says what the entry lets in. */
function domainFix(suspect: Pick<Suspect, 'sender' | 'senderDomain' | 'clientGroups' | 'evidence'>): FixInfo {
  const offer = scopedAllowOffer({ senderDomain: suspect.sender ? suspect.senderDomain : '', clientGroups: suspect.clientGroups, clients: suspect.evidence });
  if ('unavailable' in offer) return { fix: 'allow-sender-domain', label: 'Allow the sender domain', effect: '', unavailable: offer.unavailable };
  return { fix: 'allow-sender-domain', label: offer.label, effect: offer.effect };
}

/** How a mail reads in one line, e.g. in a dialog title or a notice. */
export function mailLine(suspect: Pick<Suspect, 'sender' | 'recipient'>): string {
  return `${suspect.sender || '<>'} → ${suspect.recipient}`;
}
