import type { FilterStatus } from '../../shared/contract.js';

/** The main.cf line that makes Postfix pass mail ungreylisted, instead of deferring it, while the policy service is down. */
export const POSTFIX_DEFAULT_ACTION_LINE = 'smtpd_policy_service_default_action = DUNNO';

export interface QuitWarning {
  title: string;
  message: string;
  detail: string;
  /** Button labels; index 0 quits, index 1 cancels. */
  buttons: [string, string];
  defaultId: number;
  cancelId: number;
}

function where(status: FilterStatus): string {
  const endpoints = [status.endpoints.tcp && `tcp ${status.endpoints.tcp}`, status.endpoints.unix && `unix ${status.endpoints.unix}`].filter(Boolean);
  return endpoints.length ? `, answering on ${endpoints.join(' and ')}` : '';
}

/**
 * What to ask before quitting, or null when quitting stops no filter: only a filter the app
 * started (running or starting) dies with it; an attached filter keeps running.
 */
export function quitWarning(status: FilterStatus, ownsFilter: boolean): QuitWarning | null {
  if (!ownsFilter || (status.state !== 'running' && status.state !== 'starting')) return null;
  return {
    title: 'Stop the greylisting filter?',
    message: 'Quitting Greyward stops the greylisting filter it started.',
    detail:
      `The filter${status.pid ? ` (pid ${status.pid}${where(status)})` : ''} is Postfix's policy service. While it is not running, ` +
      'Postfix cannot ask it and defers all incoming mail with "451 4.3.5 Server configuration problem" until it is back.\n\n' +
      'To let mail through ungreylisted while the filter is down instead, add this line to /etc/postfix/main.cf and run "postfix reload":\n\n' +
      `    ${POSTFIX_DEFAULT_ACTION_LINE}\n\n` +
      'To keep greylisting without the app, run the filter as a service (greyward filter, or the greyward-filter systemd unit); Greyward then attaches to it and leaves it running when it quits.',
    buttons: ['Quit and stop the filter', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
  };
}

export interface Notice {
  title: string;
  body: string;
}

/**
 * The OS notification for a status change, or null. Said once when a running filter crashes and
 * once when the supervisor gives up; the failed restarts in between stay in the window, so that a
 * crash loop does not flood the desktop.
 */
export function crashNotice(previous: FilterStatus, next: FilterStatus, gaveUp: boolean): Notice | null {
  if (next.state !== 'crashed') return null;
  const reason = (next.message.split('\n')[0] ?? '').replace(/[.:]\s*$/, '');
  const consequence = 'Postfix defers incoming mail (451 4.3.5) until the filter runs again.';
  if (gaveUp) {
    return previous.state === 'crashed' && previous.message === next.message
      ? null
      : { title: 'Greyward gave up restarting the filter', body: `${reason}. ${consequence}` };
  }
  if (previous.state !== 'running') return null;
  return { title: 'The Greyward filter stopped', body: `${reason}. Restarting it; ${consequence}` };
}
