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

/** Which weights apply, one bit each: what ordering and selection need, without the reasons' words. */
export const SIGNAL = {
  domainPassedBefore: 1,
  verifiedClientName: 2,
  retried: 4,
  poolOfOneProvider: 8,
  clientInSenderDomain: 16,
  hammering: 32,
  neverRetried: 64,
} as const;
const SIGNAL_ORDER = Object.keys(SIGNAL) as Array<keyof typeof SIGNAL>;

/** The credibility of the signals that apply: the weights added to the base in one fixed order, clamped to 0..1. */
export function credibilityOf(signals: number): number {
  let sum: number = CREDIBILITY_WEIGHTS.base;
  for (const name of SIGNAL_ORDER) if (signals & SIGNAL[name]) sum += CREDIBILITY_WEIGHTS[name];
  return Math.round(Math.min(1, Math.max(0, sum)) * 100) / 100;
}

/** The provider of a pool: the one registrable domain of every verified name, when every network showed one. */
export function oneProvider(clientGroups: number, everyNetworkNamed: boolean, clientNames: readonly string[]): string | undefined {
  const providers = clientGroups > 1 && everyNetworkNamed ? new Set(clientNames.map(registrableDomain)) : new Set<string>();
  return providers.size === 1 ? [...providers][0] : undefined;
}

/** A verified client name that lies in the sender's domain. */
export function nameInSenderDomain(name: string, senderDomain: string): boolean {
  return senderDomain !== '' && (name === senderDomain || name.endsWith(`.${senderDomain}`));
}

export function scoreCredibility(facts: CredibilityFacts): { credibility: number; reasons: CredibilityReason[] } {
  const w = CREDIBILITY_WEIGHTS;
  const reasons: CredibilityReason[] = [];
  let signals = 0;
  const add = (signal: keyof typeof SIGNAL, reason: string) => {
    signals |= SIGNAL[signal];
    reasons.push({ weight: w[signal], reason });
  };

  const passedFrom = facts.domainPassedNetworks;
  if (passedFrom > 0 && facts.senderDomain) {
    add('domainPassedBefore', `${facts.senderDomain} has passed before from ${counted(passedFrom, 'client network')}`);
  }
  if (facts.clientNames.length > 0) {
    add('verifiedClientName', `client has a forward-confirmed reverse name (${facts.clientNames.slice(0, 2).join(', ')}${facts.clientNames.length > 2 ? ', …' : ''})`);
  }
  if (facts.attempts > 1) add('retried', `it retried (${counted(facts.attempts, 'attempt')})`);
  const provider = oneProvider(facts.clientGroups.length, facts.everyNetworkNamed, facts.clientNames);
  if (provider !== undefined) {
    const families = new Set(facts.clientGroups.map(ipFamilyOfGroup)).size;
    const what = families > 1 ? 'over IPv4 and IPv6' : `from ${counted(facts.clientGroups.length, 'network')}`;
    add('poolOfOneProvider', `retried ${what} of one provider (${provider})`);
  }
  if (facts.clientNames.some((name) => nameInSenderDomain(name, facts.senderDomain))) {
    add('clientInSenderDomain', `client name lies in the sender's domain ${facts.senderDomain}`);
  }
  if (facts.classes.includes('hammering')) add('hammering', 'hammering: many retries inside the delay, as spam bots do');
  if (facts.classes.includes('never-retried')) add('neverRetried', 'never retried, as most spam');
  return { credibility: credibilityOf(signals), reasons };
}
