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

/** Splits a byte stream into requests. Throws ProtocolError as soon as the stream cannot be a valid request. */
export class PolicyRequestParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private attributes = new Map<string, string>();
  private requestBytes = 0;

  constructor(private readonly limits: ProtocolLimits = DEFAULT_LIMITS) {}

  /** True while a request has started but not ended: a peer that stops here is stalling. */
  get midRequest(): boolean {
    return this.pendingBytes > 0 || this.attributes.size > 0;
  }

  push(chunk: Buffer): PolicyAttributes[] {
    const requests: PolicyAttributes[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      const lineBytes = this.pendingBytes + (end - start);
      if (lineBytes > this.limits.maxLineBytes) throw new ProtocolError(`line longer than ${this.limits.maxLineBytes} bytes`);
      if (newline === -1) {
        this.pending.push(chunk.subarray(start));
        this.pendingBytes = lineBytes;
        break;
      }
      const line = this.pending.length > 0 ? Buffer.concat([...this.pending, chunk.subarray(start, end)]) : chunk.subarray(start, end);
      this.pending = [];
      this.pendingBytes = 0;
      start = newline + 1;
      const request = this.line(line);
      if (request) requests.push(request);
    }
    return requests;
  }

  private line(bytes: Buffer): PolicyAttributes | undefined {
    this.requestBytes += bytes.length + 1;
    if (this.requestBytes > this.limits.maxRequestBytes) throw new ProtocolError(`request longer than ${this.limits.maxRequestBytes} bytes`);
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (text === '') {
      if (this.attributes.size === 0) throw new ProtocolError('empty request');
      const request = this.attributes;
      this.attributes = new Map();
      this.requestBytes = 0;
      return request;
    }
    if (text.includes('\0') || text.includes('\uFFFD')) throw new ProtocolError('binary data in a request');
    const equals = text.indexOf('=');
    const name = equals === -1 ? '' : text.slice(0, equals);
    if (!ATTRIBUTE_NAME.test(name)) throw new ProtocolError(`malformed attribute line "${text.slice(0, 80)}"`);
    this.attributes.set(name, text.slice(equals + 1));
    if (this.attributes.size > this.limits.maxAttributes) throw new ProtocolError(`more than ${this.limits.maxAttributes} attributes`);
    return undefined;
  }
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

/** Checks that the attributes form a request Greyward can answer. */
export function readPolicyRequest(attributes: PolicyAttributes): PolicyRequest {
  const request = attributes.get('request');
  if (request !== 'smtpd_access_policy') throw new ProtocolError(`unknown request type "${request ?? '(none)'}"`);
  const protocolState = attributes.get('protocol_state');
  if (!protocolState) throw new ProtocolError('request without protocol_state');
  const get = (name: string) => attributes.get(name) ?? '';
  const parsed: PolicyRequest = {
    protocolState,
    clientAddress: get('client_address'),
    clientName: get('client_name') || 'unknown',
    reverseClientName: get('reverse_client_name') || 'unknown',
    helo: get('helo_name'),
    sender: get('sender'),
    recipient: get('recipient'),
    queueId: get('queue_id'),
    instance: get('instance'),
  };
  if (protocolState.toUpperCase() === 'RCPT') {
    if (!parsed.clientAddress) throw new ProtocolError('RCPT request without client_address');
    if (!parsed.recipient) throw new ProtocolError('RCPT request without recipient');
  }
  return parsed;
}

export function formatReply(action: string): string {
  return `action=${action.replace(/[\r\n]+/g, ' ')}\n\n`;
}
