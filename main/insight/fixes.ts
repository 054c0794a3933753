import type { SuspectFix } from '../../shared/insight-contract.js';
import type { ListEntry, NewListEntry } from '../../shared/lists.js';
import { formatNetwork, networkContains, parseNetwork, type Network } from '../../shared/net.js';
import type { AdminQueries } from '../store/admin-queries.js';
import type { InsightQueries, TripletKeyRow } from '../store/insight-queries.js';
import { senderDomainOf } from './suspects.js';

export interface FixContext {
  queries: InsightQueries;
  admin: Pick<AdminQueries, 'passTripletsNow'>;
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
 * Plans a fix for the triplets of one suspect and, unless it is a dry run, applies it. The list
 * kinds cannot say "this sender domain from these networks", so allow-sender-domain adds
 * client-address entries for the networks the domain's mail came from, each commented with the
 * domain: allowing the domain everywhere would let anyone forging it skip greylisting, while a
 * client network cannot be forged over TCP.
 */
export async function applySuspectFix(context: FixContext, request: FixRequest): Promise<FixResult> {
  const triplets = context.queries.tripletsByIds(request.tripletIds);
  if (triplets.length === 0) throw new Error('none of these triplets exists any more (expired or deleted)');
  const changes: string[] = [];

  if (request.fix === 'pass-now') {
    const waiting = triplets.filter((t) => t.passedAt === null);
    for (const t of waiting) changes.push(`pass triplet ${t.clientGroup} ${mailOf(t)} now: its next retry passes`);
    if (!request.dryRun && waiting.length > 0) context.admin.passTripletsNow(waiting.map((t) => t.id), context.now);
    return { changes, applied: !request.dryRun && changes.length > 0 };
  }

  const networks = uncoveredNetworks(triplets, await context.store.listEntries({ list: 'allow' }));
  const first = triplets[0]!;
  const domains = [...new Set(triplets.map((t) => senderDomainOf(t.sender)).filter(Boolean))];
  const forDomain = request.fix === 'allow-sender-domain';
  if (forDomain && domains.length === 0) throw new Error('a bounce (empty sender) has no sender domain; allow the client network instead');
  const comment = forDomain
    ? `sender domain ${domains.join(', ')} from the networks it was seen from (at-risk mail ${mailOf(first)})`
    : `at-risk mail ${mailOf(first)}`;
  const entries: NewListEntry[] = networks.map((network) => ({
    list: 'allow',
    kind: 'client-address',
    pattern: formatNetwork(network),
    comment,
    source: FIX_SOURCE,
  }));
  for (const entry of entries) changes.push(`allow client-address ${entry.pattern}${forDomain ? ` (for sender domain ${domains.join(', ')})` : ''}`);
  if (!request.dryRun && entries.length > 0) await context.store.addEntries(entries, context.now);
  return { changes, applied: !request.dryRun && changes.length > 0 };
}
