import { isUtf8 } from 'node:buffer';

/**
 * Postfix SMTPD policy delegation protocol (SMTPD_POLICY_README): "name=value" lines, a request
 * ends with an empty line, the answer is "action=..." and an empty line. Input is bounded in
 * every dimension, because whatever connects to the port can send anything.
 */

export interface ProtocolLimits {
  maxLineBytes: number;
  maxAttributes: number;
  maxRequestBytes: number;
}

export const DEFAULT_LIMITS: ProtocolLimits = { maxLineBytes: 4096, maxAttributes: 128, maxRequestBytes: 65_536 };

export class ProtocolError extends Error {}

export type PolicyAttributes = ReadonlyMap<string, string>;

const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** What Postfix sends (SMTPD_POLICY_README): known good without the pattern test. */
const POSTFIX_ATTRIBUTES = new Set(
  (
    'request protocol_state protocol_name helo_name queue_id sender recipient recipient_count client_address client_name ' +
    'reverse_client_name instance sasl_method sasl_username sasl_sender size ccert_subject ccert_issuer ccert_fingerprint ' +
    'ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize etrn_domain stress ' +
    'client_port policy_context server_address server_port compatibility_level mail_version'
  ).split(' '),
);

/**
 * Splits a byte stream into requests. Throws ProtocolError as soon as the stream cannot be a valid
 * request. The complete lines of each chunk are decoded as one string: this runs for every request
 * Postfix sends, so it does one native decode per chunk rather than one per line.
 *
 * Bytes are read as UTF-8 where they are UTF-8, and as latin1 where they are not: with
 * smtputf8_enable = no, Postfix passes 8-bit envelope addresses through as the client sent them.
 * UTF-8 keeps an address the same whether or not the client asked for SMTPUTF8; latin1 maps each
 * byte to one character, so that different bytes never become the same key, and shows the
 * commonest legacy encoding correctly.
 */
export class PolicyRequestParser {
  /** Bytes not parsed yet: the unfinished last line, and complete requests left over by a limited push. */
  private pending: Buffer | undefined;
  /** Whether pending holds complete lines, left over by a push limited to fewer requests than it had. */
  private leftOver = false;
  private attributes = new Map<string, string>();
  private requestBytes = 0;

  constructor(private readonly limits: ProtocolLimits = DEFAULT_LIMITS) {}

  /** True while a request has started but not ended: a peer that stops here is stalling. */
  get midRequest(): boolean {
    return this.pending !== undefined || this.attributes.size > 0;
  }

  /** True when requests read already are left to parse: push(EMPTY, max) takes the next ones. */
  get hasLeftOver(): boolean {
    return this.leftOver;
  }

  /**
   * Adds a chunk and returns the requests it completes, at most max of them: the rest stays here,
   * unparsed and uncopied, for the next push. The server takes a few requests per connection at a
   * time, so that a client that sends thousands at once cannot make others wait for them all.
   */
  push(chunk: Buffer, max = Infinity): PolicyAttributes[] {
    const data = this.pending ? (chunk.length > 0 ? Buffer.concat([this.pending, chunk]) : this.pending) : chunk;
    this.pending = undefined;
    this.leftOver = false;
    let lastNewline = data.lastIndexOf(NEWLINE);
    const restBytes = data.length - lastNewline - 1;
    if (restBytes > this.limits.maxLineBytes) throw new ProtocolError(`line longer than ${this.limits.maxLineBytes} bytes`);
    if (lastNewline !== -1 && max !== Infinity) {
      const end = endOfRequests(data, lastNewline, max);
      if (end < lastNewline) {
        lastNewline = end;
        this.leftOver = true;
      }
    }
    if (this.leftOver) this.pending = data.subarray(lastNewline + 1);
    // Copied: a few bytes kept must not hold a whole chunk in memory.
    else if (restBytes > 0) this.pending = Buffer.from(data.subarray(lastNewline + 1));
    if (lastNewline === -1) return [];
    const text = data.toString('utf8', 0, lastNewline);
    const requests: PolicyAttributes[] = [];
    const hasNul = text.includes('\0');
    if (text.includes('\uFFFD') && !isUtf8(data.subarray(0, lastNewline))) {
      for (let start = 0; start <= lastNewline; ) {
        const end = data.indexOf(NEWLINE, start);
        const bytes = data.subarray(start, end);
        const request = this.line(bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1'), bytes.length, hasNul);
        if (request) requests.push(request);
        start = end + 1;
      }
      return requests;
    }
    // Equal lengths: one character per byte, so a line's length is its size in bytes.
    const singleBytes = text.length === lastNewline;
    for (const line of text.split('\n')) {
      const request = this.line(line, singleBytes ? line.length : Buffer.byteLength(line), hasNul);
      if (request) requests.push(request);
    }
    return requests;
  }

  private line(raw: string, bytes: number, hasNul: boolean): PolicyAttributes | undefined {
    if (bytes > this.limits.maxLineBytes) throw new ProtocolError(`line longer than ${this.limits.maxLineBytes} bytes`);
    this.requestBytes += bytes + 1;
    if (this.requestBytes > this.limits.maxRequestBytes) throw new ProtocolError(`request longer than ${this.limits.maxRequestBytes} bytes`);
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text === '') {
      if (this.attributes.size === 0) throw new ProtocolError('empty request');
      const request = this.attributes;
      this.attributes = new Map();
      this.requestBytes = 0;
      return request;
    }
    if (hasNul && text.includes('\0')) throw new ProtocolError('binary data (a NUL byte) in a request');
    const equals = text.indexOf('=');
    const name = equals === -1 ? '' : text.slice(0, equals);
    if (!POSTFIX_ATTRIBUTES.has(name) && !ATTRIBUTE_NAME.test(name)) throw new ProtocolError(`malformed attribute line "${text.slice(0, 80)}"`);
    this.attributes.set(name, text.slice(equals + 1));
    if (this.attributes.size > this.limits.maxAttributes) throw new ProtocolError(`more than ${this.limits.maxAttributes} attributes`);
    return undefined;
  }
}

/**
 * The index of the newline that ends the max-th request (an empty line, CRLF or not) in data, which
 * starts at the beginning of a line; lastNewline when fewer than max requests end by then.
 */
function endOfRequests(data: Buffer, lastNewline: number, max: number): number {
  let count = 0;
  for (let lineStart = 0; lineStart <= lastNewline; ) {
    const newline = data.indexOf(NEWLINE, lineStart);
    const length = newline - lineStart;
    if ((length === 0 || (length === 1 && data[lineStart] === CARRIAGE_RETURN)) && ++count === max) return newline;
    lineStart = newline + 1;
  }
  return lastNewline;
}

export interface PolicyRequest {
  protocolState: string;
  clientAddress: string;
  clientName: string;
  reverseClientName: string;
  helo: string;
  sender: string;
  recipient: string;
  queueId: string;
  instance: string;
}

/**
 * Reads an access policy request; undefined for a request of another type. Nothing else is
 * required: Postfix leaves out what a stage does not have (no recipient before RCPT, none at DATA
 * for several recipients), and such a request is answered, never refused.
 */
export function readPolicyRequest(attributes: PolicyAttributes): PolicyRequest | undefined {
  if (attributes.get('request') !== 'smtpd_access_policy') return undefined;
  const get = (name: string) => attributes.get(name) ?? '';
  return {
    protocolState: get('protocol_state'),
    clientAddress: get('client_address'),
    clientName: get('client_name') || 'unknown',
    reverseClientName: get('reverse_client_name') || 'unknown',
    helo: get('helo_name'),
    sender: get('sender'),
    recipient: get('recipient'),
    queueId: get('queue_id'),
    instance: get('instance'),
  };
}

export function formatReply(action: string): string {
  return `action=${action.replace(/[\r\n]+/g, ' ')}\n\n`;
}
