import type { SuspectFix } from '../../shared/insight-contract.js';
import type { ListEntry, NewListEntry } from '../../shared/lists.js';
import { formatNetwork, networkContains, parseNetwork, type Network } from '../../shared/net.js';
import type { AdminReads } from '../store/admin-reads.js';
import type { InsightQueries, TripletKeyRow } from '../store/insight-queries.js';
import { scopedAllowOffer } from '../../shared/scoped-fix.js';
import { senderDomainOf } from './suspects.js';

export interface FixContext {
  queries: InsightQueries;
  admin: Pick<AdminReads, 'passTripletsNow'>;
  store: {
    listEntries(query: { list: 'allow' }): Promise<ListEntry[]>;
    addEntries(entries: readonly NewListEntry[], now: number): Promise<{ added: number; duplicates: number }>;
  };
  now: number;
}

export interface FixRequest {
  tripletIds: readonly number[];
  fix: SuspectFix;
  dryRun: boolean;
}

export interface FixResult {
  changes: string[];
  applied: boolean;
}

/** Where list entries made by a fix come from, so that they can be found and reviewed later. */
export const FIX_SOURCE = 'suspects';

const mailOf = (t: TripletKeyRow) => `${t.sender || '<>'} → ${t.recipient}`;

function networkOf(clientGroup: string): Network | undefined {
  try {
    return parseNetwork(clientGroup);
  } catch {
    return undefined;
  }
}

/** Networks not yet covered by an allow entry: an entry for a network that is already allowed would change nothing. */
function uncoveredNetworks(triplets: readonly TripletKeyRow[], allowed: readonly ListEntry[]): Network[] {
  const existing = allowed.filter((e) => e.kind === 'client-address').flatMap((e) => networkOf(e.pattern) ?? []);
  const wanted = new Map<string, Network>();
  for (const triplet of triplets) {
    const network = networkOf(triplet.clientGroup);
    if (!network) continue;
    const covered = existing.some((e) => e.family === network.family && e.prefix <= network.prefix && networkContains(e, network.address));
    if (!covered) wanted.set(formatNetwork(network), network);
  }
  return [...wanted.values()];
}

/**
 * Plans a fix for the triplets of one suspect and, unless it is a dry run, applies it.
 * allow-sender-domain adds one sender-domain-scoped entry, chosen from the evidence as the screens
 * label it (shared/scoped-fix.ts): the domain via its provider's hostname suffix, or from its
 * covering network. Allowing the domain everywhere would let anyone forging it skip greylisting;
 * allowing its networks would let in every other sender there.
 */
export async function applySuspectFix(context: FixContext, request: FixRequest): Promise<FixResult> {
  const triplets = context.queries.tripletsByIds(request.tripletIds);
  if (triplets.length === 0) throw new Error('none of these triplets exists any more (expired or deleted)');
  const changes: string[] = [];

  if (request.fix === 'pass-now') {
    const waiting = triplets.filter((t) => t.passedAt === null);
    for (const t of waiting) changes.push(`pass triplet ${t.clientGroup} ${mailOf(t)} now: its next retry passes`);
    if (!request.dryRun && waiting.length > 0) await context.admin.passTripletsNow(waiting.map((t) => t.id), context.now);
    return { changes, applied: !request.dryRun && changes.length > 0 };
  }

  const allowed = await context.store.listEntries({ list: 'allow' });
  const networks = uncoveredNetworks(triplets, allowed);
  const first = triplets[0]!;
  const entries: NewListEntry[] =
    request.fix === 'allow-sender-domain'
      ? scopedEntry(context, triplets, allowed, networks.length > 0)
      : networks.map((network) => ({ list: 'allow', kind: 'client-address', pattern: formatNetwork(network), comment: `at-risk mail ${mailOf(first)}`, source: FIX_SOURCE }));
  for (const entry of entries) changes.push(`allow ${entry.kind} ${entry.pattern}`);
  if (!request.dryRun && entries.length > 0) await context.store.addEntries(entries, context.now);
  return { changes, applied: !request.dryRun && changes.length > 0 };
}

/** The sender-domain-scoped entry for these triplets' domain, from their attempts; none when it is there already or nothing is left to allow. */
function scopedEntry(context: FixContext, triplets: readonly TripletKeyRow[], allowed: readonly ListEntry[], anyUncovered: boolean): NewListEntry[] {
  const domains = [...new Set(triplets.map((t) => senderDomainOf(t.sender)))];
  if (domains.length > 1) throw new Error(`these triplets have ${domains.length} sender domains (${domains.join(', ')}); fix one mail at a time`);
  const ids = new Set(triplets.map((t) => t.id));
  const since = Math.min(...triplets.map((t) => t.firstSeen));
  const clients = context.queries.waitingAttempts(since).filter((a) => ids.has(a.tripletId));
  const offer = scopedAllowOffer({ senderDomain: domains[0] ?? '', clientGroups: [...new Set(triplets.map((t) => t.clientGroup))], clients });
  if ('unavailable' in offer) throw new Error(offer.unavailable);
  // Every network is allowed already, or this very entry is there: nothing to change.
  if (!anyUncovered || allowed.some((e) => e.kind === 'sender-domain-scoped' && e.pattern === offer.pattern)) return [];
  return [{ list: 'allow', kind: 'sender-domain-scoped', pattern: offer.pattern, comment: `${offer.label} (at-risk mail ${mailOf(triplets[0]!)})`, source: FIX_SOURCE }];
}
