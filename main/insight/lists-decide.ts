import { matchSubject } from '../filter/engine.js';
import { ListMatcher } from '../filter/list-matcher.js';
import type { PolicySnapshot } from '../store/greylist-store.js';
import type { WaitingAttemptRow } from '../store/insight-queries.js';

/** True when the lists would now let this attempt through: a fix already made, not a suspect any more. */
export type ListsDecision = (attempt: Pick<WaitingAttemptRow, 'clientAddress' | 'clientName' | 'sender' | 'recipient'>) => boolean;

/**
 * What the lists decide at `now`, in the engine's order before triplet state: deny and allow
 * lists, then the grey-list-only mode. Undefined when they decide nothing (empty lists, everyone greylisted).
 */
export function listsDecision(snapshot: PolicySnapshot, now: number): ListsDecision | undefined {
  const settings = snapshot.settings;
  const listsDecide = Object.values(snapshot.lists).some((list) => list.count > 0) || settings.mode !== 'everyone';
  if (!listsDecide) return undefined;
  const lists = new ListMatcher(snapshot.lists);
  return (attempt) => {
    const subject = matchSubject({ protocolState: 'RCPT', ...attempt });
    if (lists.match('deny', subject, now) || lists.match('allow', subject, now)) return true;
    return settings.mode === 'grey-list-only' && !lists.match('grey', subject, now);
  };
}
