import { formatDuration as d } from './duration.js';
import type { SettingKey, Settings } from './settings.js';

/** A rule that several settings break together; `keys` are the settings it is about. */
export interface SettingIssue {
  keys: SettingKey[];
  message: string;
}

const HOUR = 3600;
const DAY = 86_400;

/**
 * How long the retry window must stay open after the delay: senders retry 30 minutes apart or
 * more (RFC 5321 4.5.4.1), and many back off to hourly (sendmail's usual queue run, Postfix's
 * 4000 s maximal backoff), so an hour lets at least one retry of theirs land after the delay.
 */
export const RETRY_ROOM = HOUR;

/** Settings the filter reads only when it starts: a running one uses a change after a restart. */
export const RESTART_SETTINGS: readonly SettingKey[] = ['listen', 'socket'];

interface Rule {
  keys: SettingKey[];
  broken(settings: Settings): string | undefined;
}

const ERRORS: Rule[] = [
  {
    keys: ['delay', 'retryWindow'],
    broken: ({ delay, retryWindow }) =>
      retryWindow < delay + RETRY_ROOM
        ? `retryWindow (${d(retryWindow)}) must be at least delay + ${d(RETRY_ROOM)} (${d(delay + RETRY_ROOM)}): senders retry 30 minutes apart or more (RFC 5321 4.5.4.1), many only hourly, so the window must stay open an hour after the delay for a retry to pass`
        : undefined,
  },
  {
    keys: ['retryWindow', 'maxAge'],
    broken: ({ retryWindow, maxAge }) =>
      maxAge < retryWindow ? `maxAge (${d(maxAge)}) must not be shorter than retryWindow (${d(retryWindow)}): a triplet would be forgotten while its sender still retries` : undefined,
  },
  {
    keys: ['listen', 'socket'],
    broken: ({ listen, socket }) => (!listen && !socket ? 'listen and socket are both empty: the filter would have nothing to listen on, and Postfix nothing to ask' : undefined),
  },
  {
    keys: ['listen', 'allowedClients'],
    broken: ({ listen, allowedClients }) =>
      listen && allowedClients.length === 0 ? 'allowedClients is empty: the filter would refuse every client that asks over TCP (empty listen instead, to answer only on the socket)' : undefined,
  },
];

const WARNINGS: Rule[] = [
  {
    keys: ['delay'],
    broken: ({ delay }) =>
      delay < 30 ? `delay ${d(delay)} is under 30s: spam engines that retry within seconds pass it, so greylisting stops little (the usual delay is 1m to 5m)` : undefined,
  },
  {
    keys: ['delay'],
    broken: ({ delay }) =>
      delay > HOUR
        ? `delay ${d(delay)} is over 1h: all mail from a new correspondent waits at least that long, and senders that retry only a few times may give up first (the usual delay is 1m to 5m)`
        : undefined,
  },
  {
    keys: ['retryWindow'],
    broken: ({ retryWindow }) =>
      retryWindow < DAY
        ? `retryWindow ${d(retryWindow)} is under 1d: senders back off to retrying hours apart, and one that misses the window is greylisted again from the start (postgrey keeps 2d, sqlgrey 1d)`
        : undefined,
  },
];

function issues(rules: Rule[], settings: Settings): SettingIssue[] {
  return rules.flatMap((rule) => {
    const message = rule.broken(settings);
    return message ? [{ keys: rule.keys, message }] : [];
  });
}

/** Errors: combinations the filter cannot work with (refused when written). Warnings: values that work but risk mail or let spam through. */
export function checkSettings(settings: Settings): { errors: SettingIssue[]; warnings: SettingIssue[] } {
  return { errors: issues(ERRORS, settings), warnings: issues(WARNINGS, settings) };
}
