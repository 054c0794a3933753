import type { PolicyRequest } from './policy-protocol.js';

/** Messages remembered: far more than a busy server has between the recipients of one message. */
const DEFAULT_LIMIT = 10_000;

/**
 * The messages that were given the X-Greylist header, so that a message to several recipients
 * carries it once: Postfix asks about each recipient, and each first pass would add one. A message
 * is named by Postfix's `instance` attribute (the same for all its recipients; the queue id may
 * only appear from the second), with the client address beside it. A request that names no
 * message gets the header, as postgrey does. Kept in this process only: one message's recipients
 * are asked about by one smtpd, on one connection to one filter.
 */
export class MessageHeaders {
  private readonly given = new Set<string>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** True when this request's message has no header yet; from then on it has. */
  firstFor(request: Pick<PolicyRequest, 'instance' | 'clientAddress'>): boolean {
    if (!request.instance) return true;
    const message = `${request.clientAddress} ${request.instance}`;
    if (this.given.has(message)) return false;
    this.given.add(message);
    // A Set iterates in insertion order: the oldest message goes first.
    if (this.given.size > this.limit) this.given.delete(this.given.values().next().value!);
    return true;
  }
}
