import type { CredibilityReason, SuspectClass } from '../../shared/insight-contract.js';
import { counted } from '../../shared/plural.js';
import { ipFamilyOfGroup, registrableDomain } from './domains.js';

/**
 * Weights of what the log shows about a suspect, added to a base and clamped to 0..1. The
 * positive ones are what spam bots rarely have (a verified name, a retry queue, a sender domain
 * that gets through from elsewhere, a pool of one provider); the negative ones are what they do.
 */
export const CREDIBILITY_WEIGHTS = {
  base: 0.3,
  domainPassedBefore: 0.25,
  verifiedClientName: 0.2,
  retried: 0.15,
  poolOfOneProvider: 0.15,
  clientInSenderDomain: 0.1,
  hammering: -0.35,
  neverRetried: -0.2,
} as const;

export interface CredibilityFacts {
  senderDomain: string;
  classes: readonly SuspectClass[];
  attempts: number;
  clientGroups: readonly string[];
  /** Distinct verified client names seen, lower-case. */
  clientNames: readonly string[];
  /** Every network it came from showed a verified name. */
  everyNetworkNamed: boolean;
  /**
   * Client networks the sender domain has passed from (any sender, any recipient). Its own
   * network counts too: a server that got the domain's mail through before is evidence as well.
   */
  domainPassedNetworks: number;
}

export function scoreCredibility(facts: CredibilityFacts): { credibility: number; reasons: CredibilityReason[] } {
  const w = CREDIBILITY_WEIGHTS;
  const reasons: CredibilityReason[] = [];
  const add = (weight: number, reason: string) => reasons.push({ weight, reason });

  const passedFrom = facts.domainPassedNetworks;
  if (passedFrom > 0 && facts.senderDomain) {
    add(w.domainPassedBefore, `${facts.senderDomain} has passed before from ${counted(passedFrom, 'client network')}`);
  }
  if (facts.clientNames.length > 0) {
    add(w.verifiedClientName, `client has a forward-confirmed reverse name (${facts.clientNames.slice(0, 2).join(', ')}${facts.clientNames.length > 2 ? ', …' : ''})`);
  }
  if (facts.attempts > 1) add(w.retried, `it retried (${counted(facts.attempts, 'attempt')})`);
  const providers = facts.clientGroups.length > 1 && facts.everyNetworkNamed ? new Set(facts.clientNames.map(registrableDomain)) : new Set();
  if (providers.size === 1) {
    const families = new Set(facts.clientGroups.map(ipFamilyOfGroup)).size;
    const what = families > 1 ? 'over IPv4 and IPv6' : `from ${counted(facts.clientGroups.length, 'network')}`;
    add(w.poolOfOneProvider, `retried ${what} of one provider (${[...providers][0]})`);
  }
  const inSenderDomain = (name: string) => name === facts.senderDomain || name.endsWith(`.${facts.senderDomain}`);
  if (facts.senderDomain && facts.clientNames.some(inSenderDomain)) {
    add(w.clientInSenderDomain, `client name lies in the sender's domain ${facts.senderDomain}`);
  }
  if (facts.classes.includes('hammering')) add(w.hammering, 'hammering: many retries inside the delay, as spam bots do');
  if (facts.classes.includes('never-retried')) add(w.neverRetried, 'never retried, as most spam');

  const sum = reasons.reduce((total: number, r) => total + r.weight, w.base);
  return { credibility: Math.round(Math.min(1, Math.max(0, sum)) * 100) / 100, reasons };
}
