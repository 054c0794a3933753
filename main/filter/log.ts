import type { AttemptRecord } from '../store/greylist-store.js';

/** One grep-able line per decision: what was asked, what was answered, and why. */
export function decisionLogLine(a: AttemptRecord): string {
  const rule = a.rule.includes('"') ? a.rule.replace(/"/g, "'") : a.rule;
  return (
    `decision queue_id=${a.queueId || '-'} client=${a.clientAddress}[${a.clientName}] helo=${a.helo || '-'} sender=<${a.sender}> ` +
    `recipient=<${a.recipient}> action=${a.action} reason=${a.reason} delay=${a.delay ?? '-'} rule="${rule}"`
  );
}

/** The filter's log: plain lines on stderr, which journald or a file redirect keeps. */
export interface Log {
  /** Detail an administrator asks for when tracing a problem (`greyward filter --debug`). */
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Several decision lines at once: written together, as their batch is handed to the writer. */
  decisions(lines: readonly string[]): void;
}

export function streamLog(write: (text: string) => void = (text) => process.stderr.write(text), options: { debug?: boolean } = {}): Log {
  return {
    debug: options.debug ? (message) => write(`debug: ${message}\n`) : () => {},
    info: (message) => write(`info: ${message}\n`),
    warn: (message) => write(`warning: ${message}\n`),
    error: (message) => write(`error: ${message}\n`),
    decisions: (lines) => {
      if (lines.length > 0) write(`${lines.join('\n')}\n`);
    },
  };
}

export function quietLog(): Log {
  return { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, decisions: () => {} };
}

/** Remembers what it was told, for tests that assert what an administrator would read. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    decisions: (ls) => lines.push(...ls),
  };
}
