import { tripletKeyText, type ClientPasses, type DecisionWrite, type GreylistState, type TripletKey, type TripletState } from './greylist-store.js';

/** Entries kept of each kind: a few megabytes, enough for the retries and regular correspondents of a busy server. */
const DEFAULT_LIMIT = 20_000;

/**
 * The triplets and clients (as auto-allow counts them) this filter has read lately, so that a second retry or a
 * regular correspondent is answered without a read. A read adds what is not here yet; a decision
 * about one of them updates it, so what is here is never older than the database. A first contact
 * is not kept: most never come back, and a key the database lacks is KnownKeys' business. The
 * least recently used entries go first.
 */
export class RecentStates {
  private readonly triplets = new Map<string, { state: TripletState; id: number | undefined }>();
  private readonly clients = new Map<string, ClientPasses>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** Both the triplet and its client, or nothing: a half answer would still need the read. */
  get(key: TripletKey, client: string): GreylistState | undefined {
    const clientPasses = this.clients.get(client);
    if (!clientPasses) return undefined;
    const text = tripletKeyText(key);
    const triplet = this.triplets.get(text);
    if (!triplet) return undefined;
    touch(this.triplets, text, triplet);
    touch(this.clients, client, clientPasses);
    return triplet.id === undefined ? { triplet: triplet.state, clientPasses } : { triplet: triplet.state, tripletId: triplet.id, clientPasses };
  }

  /** One half of get(), for a caller that knows the other half otherwise (a key the database cannot hold). */
  triplet(text: string): { state: TripletState; id: number | undefined } | undefined {
    const kept = this.triplets.get(text);
    if (kept) touch(this.triplets, text, kept);
    return kept;
  }

  client(client: string): ClientPasses | undefined {
    const kept = this.clients.get(client);
    if (kept) touch(this.clients, client, kept);
    return kept;
  }

  /**
   * What a read found, for the keys not here yet. A key that is here may have a decision on its way
   * to the database, newer than what the read returned. `text`: the key's tripletKeyText, when the
   * caller has it already.
   */
  read(key: TripletKey, client: string, found: GreylistState, text = tripletKeyText(key)): void {
    if (found.triplet && !this.triplets.has(text)) this.put(this.triplets, text, { state: found.triplet, id: found.tripletId });
    if (found.clientPasses && !this.clients.has(client)) this.put(this.clients, client, found.clientPasses);
  }

  /** What a decision is about to store, for the keys kept here; `text` is its triplet's tripletKeyText. */
  wrote({ triplet, clientPasses }: DecisionWrite, text = triplet && tripletKeyText(triplet.key)): void {
    if (triplet && text !== undefined) {
      const kept = this.triplets.get(text);
      if (kept) this.triplets.set(text, { state: triplet.state, id: triplet.id ?? kept.id });
    }
    if (clientPasses && this.clients.has(clientPasses.client)) this.clients.set(clientPasses.client, clientPasses);
  }

  /** A row as another filter left it (a shared database's change stream): kept entries take it. */
  changedElsewhere(text: string, id: number, state: TripletState): void {
    if (this.triplets.has(text)) this.triplets.set(text, { state, id });
  }

  clientChangedElsewhere(clientPasses: ClientPasses): void {
    if (this.clients.has(clientPasses.client)) this.clients.set(clientPasses.client, clientPasses);
  }

  forget(): void {
    this.triplets.clear();
    this.clients.clear();
  }

  private put<V>(map: Map<string, V>, key: string, value: V): void {
    touch(map, key, value);
    if (map.size > this.limit) map.delete(map.keys().next().value!);
  }
}

/** A Map iterates in insertion order: setting an entry again makes it the most recently used. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}
