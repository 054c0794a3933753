import type { Attempt } from '../../../shared/contract.js';
import type { Passed } from '../../live/live-feed.js';
import { formatSpan, formatWhen } from '../../format/time.js';

export interface DeferralStatus {
  tone: 'passed' | 'waiting';
  /** Short, for the row. */
  text: string;
  /** In a sentence, for the detail panel and the row's tooltip. */
  sentence: string;
}

const PASSED_BY: Record<Passed['by'], { short: string; sentence: string }> = {
  retry: { short: 'passed on retry', sentence: 'Passed: its retry came after the delay and was accepted' },
  administrator: { short: 'passed by admin', sentence: 'Passed by an administrator ("Pass now"): its next retry is accepted' },
  you: { short: 'passed by you', sentence: 'Passed by you ("Pass now"): its next retry is accepted' },
  'allow-list': { short: 'allowed', sentence: 'Let through by the allow list on a retry' },
};

/** What became of a deferred mail: passed (how, when), or still held back and for how long. */
export function deferralStatus(attempt: Attempt, passed: Passed | undefined, now: number): DeferralStatus {
  if (passed) {
    const when = formatWhen(passed.at, now);
    return { tone: 'passed', text: `${PASSED_BY[passed.by].short} ${when}`, sentence: `${PASSED_BY[passed.by].sentence}, ${when}.` };
  }
  if (attempt.delay === null) return { tone: 'waiting', text: 'held back', sentence: 'Held back.' };
  const left = attempt.delay - (now - attempt.at);
  return left > 0
    ? { tone: 'waiting', text: `passes in ${formatSpan(left)}`, sentence: `Held back: a retry passes in ${formatSpan(left)}.` }
    : { tone: 'waiting', text: 'awaiting retry', sentence: 'Held back until the sender retries: the delay is over, so its next retry passes.' };
}
