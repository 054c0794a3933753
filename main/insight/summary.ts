import type { SuspectClass } from '../../shared/insight-contract.js';
import { counted } from '../../shared/plural.js';
import type { WaitingAttemptRow } from '../store/insight-queries.js';
import { humanDuration } from './domains.js';

export interface SummaryFacts {
  primary: SuspectClass;
  /** Every attempt, in time order. */
  attempts: readonly WaitingAttemptRow[];
  clientGroups: readonly string[];
  now: number;
}

function clients(attempts: readonly WaitingAttemptRow[]): string {
  const seen = [...new Set(attempts.map((a) => `${a.clientAddress} [${a.clientName}]`))];
  return seen.length <= 2 ? seen.join(', ') : `${seen.slice(0, 2).join(', ')} and ${seen.length - 2} more`;
}

/** The evidence in one line, the way an administrator would tell it. */
export function summarise({ primary, attempts, clientGroups, now }: SummaryFacts): string {
  const n = attempts.length;
  const first = attempts[0]!.at;
  const last = attempts.at(-1)!.at;
  const count = counted(n, 'attempt');
  // Attempts within one second have no span or gap worth a number ("every 0 s").
  const within = n > 1 && last - first < 1;
  const over = within ? ' within one second' : n > 1 ? ` over ${humanDuration(last - first)}` : '';
  const silent = `silent for ${humanDuration(now - last)}`;
  const networks = clientGroups.length <= 3 ? clientGroups.join(', ') : `${clientGroups.slice(0, 3).join(', ')}, …`;
  switch (primary) {
    case 'early-then-gone':
      return `${count}${over} from ${clients(attempts)}, all deferred before the delay ran out; ${silent}`;
    case 'never-retried':
      return `${count} from ${clients(attempts)}; ${silent}`;
    case 'hammering': {
      const gap = n > 1 && !within ? `, every ${humanDuration((last - first) / (n - 1))}` : '';
      return `${count}${over}${gap} from ${clients(attempts)}, all deferred inside the delay; ${silent}`;
    }
    case 'pool-rotation':
      return `${count} from ${counted(clientGroups.length, 'network')} (${networks})${over}: each network starts over; last ${humanDuration(now - last)} ago`;
    case 'family-switch':
      return `${count} over IPv4 and IPv6 (${networks})${over}: each family starts over; last ${humanDuration(now - last)} ago`;
  }
}
