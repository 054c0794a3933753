import type { RequestPayload, RequestResult } from '../../../shared/contract.js';
import { parseIp } from '../../../shared/net.js';

export type SimulatorForm = RequestPayload<'check.explain'>;
export type Explanation = RequestResult<'check.explain'>;

export type SimulatorErrors = Partial<Record<keyof SimulatorForm, string>>;

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** What is wrong with a simulator form, field by field; empty when it can be asked. */
export function checkSimulator(form: SimulatorForm): SimulatorErrors {
  const errors: SimulatorErrors = {};
  if (!form.clientAddress.trim()) errors.clientAddress = 'the client address is needed: the filter greylists by client network';
  else if (!parseIp(form.clientAddress)) errors.clientAddress = `"${form.clientAddress.trim()}" is not an IPv4 or IPv6 address`;
  const sender = form.sender.trim();
  if (sender && sender !== '<>' && !ADDRESS.test(sender)) errors.sender = 'write an address like alice@example.com, or leave it empty for a bounce (<>)';
  if (!form.recipient.trim()) errors.recipient = 'the recipient is needed';
  else if (!ADDRESS.test(form.recipient.trim())) errors.recipient = 'write an address like bob@example.net';
  return errors;
}

/** The form as the filter receives it: trimmed, a bounce as the empty sender. */
export function simulatorRequest(form: SimulatorForm): SimulatorForm {
  const sender = form.sender.trim();
  return { clientAddress: form.clientAddress.trim(), clientName: form.clientName.trim(), sender: sender === '<>' ? '' : sender, recipient: form.recipient.trim() };
}

/** Quoted for a POSIX shell where needed. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The same question on the command line of the mail server: `greyward check` gives the same answer. */
export function checkCommand(form: SimulatorForm): string {
  const request = simulatorRequest(form);
  const parts = ['greyward check', '--client-address', shellQuote(request.clientAddress)];
  if (request.clientName) parts.push('--client-name', shellQuote(request.clientName));
  parts.push('--sender', request.sender ? shellQuote(request.sender) : "''", '--recipient', shellQuote(request.recipient));
  return parts.join(' ');
}

/** The decision in a sentence: what Postfix is told, and when a deferred retry would pass. */
export function decisionSentence(explanation: Explanation): string {
  switch (explanation.action) {
    case 'defer':
      return explanation.delay !== null && explanation.delay > 0
        ? `Deferred now: a retry passes in ${explanation.delay} s or later.`
        : 'Deferred now.';
    case 'pass':
      return 'Passes now: greylisting has let this triplet through.';
    case 'allow':
      return 'Accepted without greylisting.';
    case 'reject':
      return 'Rejected.';
    default:
      return `${explanation.action}.`;
  }
}

/**
 * The rule as a trace row shows it: a triplet rule names the sender and recipient that stand in
 * the next column already, so only its client network is kept ("triplet 192.0.2.0/24").
 */
export function shortRule(rule: string, attempt: { sender: string; recipient: string }): string {
  const match = /^triplet (\S+) (\S+) (\S+)$/.exec(rule);
  if (!match) return rule;
  // The rule's sender is the normalised one (no +extension, lower case): the recipient tells.
  const [, group, , recipient] = match;
  return recipient!.toLowerCase() === attempt.recipient.trim().toLowerCase() ? `triplet ${group}` : rule;
}
