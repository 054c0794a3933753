// Sends test mail with Debian's swaks and reads its transcript.
//
// sendMail() never throws on an SMTP refusal: swaks then exits non-zero (24 = no RCPT
// accepted, 25/26 = DATA refused, 2 = could not connect ...) and the caller gets the exit
// code, the whole transcript, and the reply code that ended the transaction.

import { spawn } from 'node:child_process';
import os from 'node:os';
import { findExecutable, type Availability } from './prerequisites.js';

export interface SendMailOptions {
  port: number;
  /** Bytes that are not UTF-8 (an 8-bit address in latin1) as a Buffer: see byteArgument. */
  from: string | Buffer;
  /** One recipient, or several separated by commas (swaks sends one RCPT TO each). */
  to: string;
  /** EHLO name. Default 'client.example.org'. */
  helo?: string;
  /** Server address. Default '127.0.0.1'. */
  server?: string;
  /** Message body (swaks --body). Default: swaks' own test body. */
  body?: string;
  /** Extra headers, e.g. ['Subject: hello']. */
  headers?: string[];
  /** swaks --timeout in seconds. Default 20. */
  timeoutSeconds?: number;
  /** Further swaks arguments, passed through as they are. */
  extraArgs?: string[];
}

export interface SmtpReply {
  /** The three-digit reply code. */
  code: number;
  /** The reply text after the code, lines of a multi-line reply joined with '\n'. */
  text: string;
}

export interface SendMailResult {
  exitCode: number;
  /** stdout and stderr of swaks, in order. */
  transcript: string;
  /** The reply code of the last command before QUIT: RCPT's 450, end-of-DATA's 250, ... */
  finalCode?: number;
}

export function swaksAvailable(): Availability {
  return findExecutable('swaks') ? { ok: true } : { ok: false, why: 'swaks not found (Debian: apt-get install swaks)' };
}

/** One command (what swaks sent, possibly several lines) and the server's reply to it. */
export interface SmtpExchange {
  /** Lines sent before this reply ([] for the greeting banner). The first is the command. */
  sent: string[];
  reply: SmtpReply;
  /** True when swaks marked the reply as unexpected ('<**'). */
  unexpected: boolean;
}

const SENT = /^(?: ->|\*\*>| ~>|\*~>) ?(.*)$/;
const RECEIVED = /^(<- |<\*\*|<~ |<~\*) ?(\d{3})([ -])(.*)$/;

/** Splits a swaks transcript into command/reply exchanges. */
export function parseTranscript(transcript: string): SmtpExchange[] {
  const exchanges: SmtpExchange[] = [];
  let sent: string[] = [];
  let pending: { code: number; lines: string[]; unexpected: boolean } | undefined;
  for (const raw of transcript.split(/\r?\n/)) {
    const received = RECEIVED.exec(raw);
    if (received) {
      const [, hint = '', code = '', sep = ' ', text = ''] = received;
      pending ??= { code: Number(code), lines: [], unexpected: hint.includes('*') };
      pending.lines.push(text);
      if (sep === ' ') {
        exchanges.push({
          sent,
          reply: { code: pending.code, text: pending.lines.join('\n') },
          unexpected: pending.unexpected,
        });
        sent = [];
        pending = undefined;
      }
      continue;
    }
    const out = SENT.exec(raw);
    if (out) sent.push(out[1] ?? '');
  }
  return exchanges;
}

/** The replies to RCPT TO, in order. */
export function rcptReplies(transcript: string): SmtpReply[] {
  return parseTranscript(transcript)
    .filter((x) => /^RCPT TO:/i.test(x.sent[0] ?? ''))
    .map((x) => x.reply);
}

/** The reply to the (first) RCPT TO: code and text, e.g. { code: 450, text: '4.2.0 <bob@...>: ... Greylisted ...' }. */
export function rcptReply(transcript: string): SmtpReply | undefined {
  return rcptReplies(transcript)[0];
}

/** The reply code of the last exchange before QUIT (the banner if nothing else happened). */
export function finalReplyCode(transcript: string): number | undefined {
  const exchanges = parseTranscript(transcript).filter((x) => !/^QUIT\b/i.test(x.sent[0] ?? ''));
  return exchanges.at(-1)?.reply.code;
}

/**
 * A process's arguments are strings, passed on as UTF-8: bytes that are not UTF-8 reach swaks
 * through the shell's printf, as octal escapes.
 */
function byteArgument(executable: string, args: string[], option: string, value: Buffer): [string, string[]] {
  const format = [...value].map((byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`)).join('');
  return ['/bin/sh', ['-c', `value=$(printf "$1"); shift; exec "$@" ${option} "$value"`, 'sh', format, executable, ...args]];
}

/** Runs swaks against the server; resolves for any outcome, rejects only if swaks cannot run. */
export function sendMail(opts: SendMailOptions): Promise<SendMailResult> {
  const swaks = findExecutable('swaks');
  if (!swaks) return Promise.reject(new Error('sendMail: swaks not found (Debian: apt-get install swaks)'));
  const args = [
    '--config', // no argument: ignore ~/.swaksrc and any __END__ config
    '--server',
    `${opts.server ?? '127.0.0.1'}:${opts.port}`,
    '--to',
    opts.to,
    '--helo',
    opts.helo ?? 'client.example.org',
    '--timeout',
    String(opts.timeoutSeconds ?? 20),
    '--output-file-stderr',
    '&STDOUT', // one stream, in order
  ];
  if (opts.body !== undefined) args.push('--body', opts.body);
  for (const header of opts.headers ?? []) args.push('--add-header', header);
  args.push(...(opts.extraArgs ?? []));
  const [command, commandArgs] = typeof opts.from === 'string' ? [swaks, [...args, '--from', opts.from]] : byteArgument(swaks, args, '--from', opts.from);

  // SWAKS_OPT_* variables would silently change what is sent.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SWAKS_')) env[key] = value;
  }

  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const transcript = Buffer.concat(chunks).toString('utf8');
      const finalCode = finalReplyCode(transcript);
      resolve({
        exitCode: code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0),
        transcript,
        ...(finalCode === undefined ? {} : { finalCode }),
      });
    });
  });
}
