import type { Settings } from '../../../shared/settings.js';

/** Postfix reaches a chrooted smtpd's UNIX sockets relative to its queue directory. */
const POSTFIX_QUEUE = '/var/spool/postfix/';
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '*']);

export interface PostfixSnippet {
  text: string;
  notes: string[];
}

function splitHostPort(listen: string): { host: string; port: string } | undefined {
  const match = /^(\[[^\]]*\]|[^:]*|.*):(\d+)$/.exec(listen.trim());
  return match ? { host: match[1]!, port: match[2]! } : undefined;
}

function policyEndpoint(settings: Pick<Settings, 'listen' | 'socket'>, notes: string[]): string | undefined {
  if (settings.listen.trim()) {
    const parts = splitHostPort(settings.listen);
    if (!parts) {
      notes.push(`The listen address "${settings.listen}" is not HOST:PORT; fix it above.`);
      return undefined;
    }
    let host = parts.host;
    if (WILDCARD_HOSTS.has(host)) {
      notes.push(`The filter listens on every address (${settings.listen}); Postfix on this machine reaches it at 127.0.0.1. From another host, use this machine's address and add that host to the allowed clients.`);
      host = '127.0.0.1';
    } else if (host.includes(':') && !host.startsWith('[')) {
      host = `[${host}]`;
    }
    if (settings.socket.trim()) notes.push(`The filter also listens on the UNIX socket ${settings.socket}; either endpoint works.`);
    return `inet:${host}:${parts.port}`;
  }
  const socket = settings.socket.trim();
  if (!socket) return undefined;
  if (socket.startsWith(POSTFIX_QUEUE)) {
    notes.push(`The socket is inside Postfix's queue directory, so it is written relative to it and also works for a chrooted smtpd.`);
    return `unix:${socket.slice(POSTFIX_QUEUE.length)}`;
  }
  notes.push(`smtpd runs chrooted in ${POSTFIX_QUEUE} on Debian and others: a socket outside that directory is only reachable with chroot off for smtpd in master.cf.`);
  return `unix:${socket}`;
}

export interface RunningEndpoints {
  tcp?: string | undefined;
  unix?: string | undefined;
}

/**
 * The main.cf lines that make Postfix ask this filter. Where the filter runs, its actual
 * endpoints win over the settings (it may have been started with --listen or --socket).
 */
export function postfixSnippet(settings: Pick<Settings, 'listen' | 'socket' | 'failMode'>, running?: RunningEndpoints): PostfixSnippet {
  const notes: string[] = [];
  let target: Pick<Settings, 'listen' | 'socket'> = settings;
  if (running && (running.tcp || running.unix)) {
    target = { listen: running.tcp ?? '', socket: running.unix ?? '' };
    if (target.listen !== settings.listen || target.socket !== settings.socket) {
      const describe = (where: Pick<Settings, 'listen' | 'socket'>) => [where.listen && `TCP ${where.listen}`, where.socket && `socket ${where.socket}`].filter(Boolean).join(' and ') || 'nowhere';
      notes.push(`The running filter listens on ${describe(target)}, not where the settings say (${describe(settings)}): it was started with --listen or --socket, or the settings changed since it started. These lines follow the running filter.`);
    }
  }
  const endpoint = policyEndpoint(target, notes);
  if (!endpoint) return { text: '', notes: notes.length ? notes : ['The filter listens nowhere: set a listen address or a UNIX socket above.'] };
  const failOpen = settings.failMode === 'open';
  const text = [
    '# Greyward greylisting, in /etc/postfix/main.cf',
    'smtpd_recipient_restrictions =',
    '    permit_mynetworks,',
    '    permit_sasl_authenticated,',
    '    reject_unauth_destination,',
    `    check_policy_service ${endpoint}`,
    '',
    failOpen
      ? '# When the filter cannot be reached, accept mail without greylisting'
      : '# When the filter cannot be reached, defer mail (this is also Postfix\'s default)',
    failOpen ? 'smtpd_policy_service_default_action = DUNNO' : 'smtpd_policy_service_default_action = 451 4.3.5 Greylisting service unavailable',
    '',
  ].join('\n');
  notes.push(
    'check_policy_service comes after reject_unauth_destination, so the filter is never asked about relaying; keep your own restrictions in that list.',
    failOpen
      ? 'smtpd_policy_service_default_action (Postfix 3.0 or later) decides what happens when Postfix cannot reach the filter. Without it, Postfix answers 451 4.3.5 and defers all mail while the filter is down; DUNNO lets mail through ungreylisted instead, like the fail mode "open" does for the filter\'s own errors.'
      : 'smtpd_policy_service_default_action (Postfix 3.0 or later) decides what happens when Postfix cannot reach the filter. With the fail mode "tempfail", mail is deferred (451 4.3.5) while the filter is down; senders retry later. Use DUNNO to let mail through ungreylisted instead.',
    'Apply with: postfix reload',
  );
  return { text, notes };
}
