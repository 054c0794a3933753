import { getDomain } from 'tldts';
import type { Attempt } from '../../../shared/contract.js';
import { normalisePattern, type ListKind, type ListName } from '../../../shared/lists.js';
import { clientGroup } from '../../../shared/net.js';
import { formatWhen } from '../../format/time.js';

export const ATTEMPT_ACTIONS = ['pass-now', 'allow-network', 'allow-sender', 'allow-domain', 'deny-sender'] as const;
export type AttemptAction = (typeof ATTEMPT_ACTIONS)[number];

export const ACTION_LABELS: Record<AttemptAction, string> = {
  'pass-now': 'Pass now',
  'allow-network': 'Allow the client network',
  'allow-sender': 'Allow the sender',
  'allow-domain': "Allow the sender's domain",
  'deny-sender': 'Deny the sender',
};

export type ProposedChange =
  | { type: 'pass-now'; tripletId: number; attempt: Attempt }
  | { type: 'list-entry'; list: ListName; kind: ListKind; pattern: string; comment: string; attempt: Attempt; action: AttemptAction };

export type Proposal = { ok: true; change: ProposedChange } | { ok: false; reason: string };

export interface Grouping {
  prefixV4: number;
  prefixV6: number;
}

function senderDomain(sender: string): string | undefined {
  const at = sender.lastIndexOf('@');
  return at === -1 ? undefined : sender.slice(at + 1).toLowerCase();
}

function origin(attempt: Attempt): string {
  return `live view: ${attempt.sender || '<>'} → ${attempt.recipient} from ${attempt.clientAddress}${attempt.clientName && attempt.clientName !== 'unknown' ? ` (${attempt.clientName})` : ''}, ${formatWhen(attempt.at)}`;
}

function listEntry(attempt: Attempt, action: AttemptAction, list: ListName, kind: ListKind, text: string): Proposal {
  try {
    return { ok: true, change: { type: 'list-entry', list, kind, pattern: normalisePattern(kind, text), comment: origin(attempt), attempt, action } };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** What an action on a live attempt would change, or why it cannot apply to this attempt. */
export function propose(attempt: Attempt, action: AttemptAction, grouping: Grouping): Proposal {
  const nullSender = attempt.sender.trim() === '' || attempt.sender.trim() === '<>';
  switch (action) {
    case 'pass-now':
      if (attempt.tripletId === null) return { ok: false, reason: 'this attempt has no triplet to pass' };
      return { ok: true, change: { type: 'pass-now', tripletId: attempt.tripletId, attempt } };
    case 'allow-network':
      return listEntry(attempt, action, 'allow', 'client-address', clientGroup(attempt.clientAddress, grouping.prefixV4, grouping.prefixV6));
    case 'allow-sender':
      if (nullSender) return { ok: false, reason: 'bounces have an empty sender (<>), which no address entry can match' };
      return listEntry(attempt, action, 'allow', 'sender-address', attempt.sender);
    case 'allow-domain': {
      const domain = senderDomain(attempt.sender);
      if (nullSender || !domain) return { ok: false, reason: 'the sender has no domain' };
      // The registrable domain (example.co.uk for bounce.mail.example.co.uk) covers the sender's other hosts.
      return listEntry(attempt, action, 'allow', 'sender-domain', getDomain(domain) ?? domain);
    }
    case 'deny-sender':
      if (nullSender) return { ok: false, reason: 'denying the empty sender (<>) would reject every bounce' };
      return listEntry(attempt, action, 'deny', 'sender-address', attempt.sender);
  }
}
