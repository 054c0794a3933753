/**
 * The client networks each sender domain has passed from, as the domain's evidence of being
 * legitimate: for a registrable domain D, the networks of passed triplets whose sender's domain
 * is D, or a direct subdomain of D that is not itself one of the domains asked about (the way
 * InsightQueries.passedNetworkCounts counts them in SQL). Domains are indices of the caller's
 * domain table; a pair counts while its last pass is within the maximum age, after which the
 * filter forgets the triplet.
 *
 * Passes are kept as three typed columns, appended to; the networks of a domain are found through
 * an index by domain, rebuilt when passes were added since. A pass seen again is another row until
 * the rows double, when they are folded to one per domain and network.
 */
export class DomainPasses {
  private size = 0;
  private domain = new Int32Array(1024);
  private group = new Int32Array(1024);
  private lastSeen = new Float64Array(1024);
  /** Per domain: when it last passed, from any network. */
  private latest = new Float64Array(1024).fill(-Infinity);
  /** Per domain: its direct subdomains that have passed. */
  private readonly children: number[][] = [];
  private readonly known = new Set<number>();
  /** Rows by domain (start offsets per domain, then row numbers), for the rows there were when it was made. */
  private index: { start: Int32Array; rows: Int32Array; size: number } | undefined;
  private foldAt = 1 << 20;

  /** A pass of a triplet whose sender's domain is `domain`, whose parent (after its first dot) is `parent`. */
  add(domain: number, parent: number, clientGroup: number, lastSeen: number): void {
    if (!this.known.has(domain)) {
      this.known.add(domain);
      if (parent !== domain && parent >= 0) (this.children[parent] ??= []).push(domain);
    }
    if (this.size === this.domain.length) this.grow();
    this.domain[this.size] = domain;
    this.group[this.size] = clientGroup;
    this.lastSeen[this.size] = lastSeen;
    this.size++;
    if (domain >= this.latest.length) {
      const latest = new Float64Array(Math.max(domain + 1, this.latest.length * 2)).fill(-Infinity);
      latest.set(this.latest);
      this.latest = latest;
    }
    if (this.latest[domain]! < lastSeen) this.latest[domain] = lastSeen;
  }

  private grow(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const grown = new (a.constructor as new (n: number) => T)(a.length * 2);
      grown.set(a);
      return grown;
    };
    this.domain = grow(this.domain);
    this.group = grow(this.group);
    this.lastSeen = grow(this.lastSeen);
  }

  /** Gives back the room beyond a quarter more than is used. */
  trim(): void {
    const capacity = Math.max(1024, Math.ceil(this.size * 1.25));
    if (capacity >= this.domain.length) return;
    this.domain = this.domain.slice(0, capacity);
    this.group = this.group.slice(0, capacity);
    this.lastSeen = this.lastSeen.slice(0, capacity);
  }

  /** Whether `domain` has passed from any network since `since`; `asked` tells the domains asked about. */
  any(domain: number, since: number, asked: (domain: number) => boolean): boolean {
    if ((this.latest[domain] ?? -Infinity) >= since) return true;
    const children = this.children[domain];
    if (!children) return false;
    for (const child of children) if (!asked(child) && this.latest[child]! >= since) return true;
    return false;
  }

  /** How many networks `domain` has passed from since `since`. */
  count(domain: number, since: number, asked: (domain: number) => boolean): number {
    const index = this.indexed();
    const seen = new Set<number>();
    const collect = (d: number) => {
      if (d + 1 >= index.start.length) return;
      for (let i = index.start[d]!; i < index.start[d + 1]!; i++) {
        const row = index.rows[i]!;
        if (this.lastSeen[row]! >= since) seen.add(this.group[row]!);
      }
    };
    collect(domain);
    for (const child of this.children[domain] ?? []) if (!asked(child)) collect(child);
    return seen.size;
  }

  /** Folds repeated passes of a domain and network into one row, and drops the rows that can no longer count. */
  forget(before: number): void {
    if (this.size < this.foldAt) return;
    const latest = new Map<number, number>();
    for (let row = 0; row < this.size; row++) {
      if (this.lastSeen[row]! < before) continue;
      const key = this.domain[row]! * 2 ** 32 + this.group[row]!;
      if ((latest.get(key) ?? -Infinity) < this.lastSeen[row]!) latest.set(key, this.lastSeen[row]!);
    }
    this.size = 0;
    for (const [key, at] of latest) {
      this.domain[this.size] = Math.floor(key / 2 ** 32);
      this.group[this.size] = key % 2 ** 32;
      this.lastSeen[this.size++] = at;
    }
    this.index = undefined;
    this.foldAt = Math.max(1 << 20, this.size * 2);
  }

  private indexed(): { start: Int32Array; rows: Int32Array; size: number } {
    if (this.index?.size === this.size) return this.index;
    let domains = 0;
    for (let row = 0; row < this.size; row++) domains = Math.max(domains, this.domain[row]! + 1);
    const start = new Int32Array(domains + 1);
    for (let row = 0; row < this.size; row++) start[this.domain[row]! + 1]!++;
    for (let d = 0; d < domains; d++) start[d + 1]! += start[d]!;
    const rows = new Int32Array(this.size);
    const at = start.slice(0, domains);
    for (let row = 0; row < this.size; row++) rows[at[this.domain[row]!]!++] = row;
    return (this.index = { start, rows, size: this.size });
  }
}
