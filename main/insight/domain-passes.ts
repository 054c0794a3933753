/**
 * The client networks each sender domain has passed from, as the domain's evidence of being
 * legitimate: for a registrable domain D, the networks of passed triplets whose sender's domain
 * is D, or a direct subdomain of D that is not itself one of the domains asked about (the way
 * InsightQueries.passedNetworkCounts counts them in SQL). Domains are indices of the caller's
 * domain table; a pair counts while its last pass is within the maximum age, after which the
 * filter forgets the triplet.
 */
export class DomainPasses {
  /** Per domain: its networks and when each last passed, in parallel. */
  private readonly groups: number[][] = [];
  private readonly lastSeen: number[][] = [];
  private readonly latest: number[] = [];
  /** Per domain: its direct subdomains that have passed. */
  private readonly children: number[][] = [];
  private readonly position = new Map<number, number>();

  /** A pass of a triplet whose sender's domain is `domain`, whose parent (after its first dot) is `parent`. */
  add(domain: number, parent: number, clientGroup: number, lastSeen: number): void {
    let groups = this.groups[domain];
    if (!groups) {
      groups = this.groups[domain] = [];
      this.lastSeen[domain] = [];
      this.latest[domain] = -1;
      if (parent !== domain && parent >= 0) (this.children[parent] ??= []).push(domain);
    }
    const key = domain * 2 ** 32 + clientGroup;
    const at = this.position.get(key);
    if (at === undefined) {
      this.position.set(key, groups.length);
      groups.push(clientGroup);
      this.lastSeen[domain]!.push(lastSeen);
    } else if (this.lastSeen[domain]![at]! < lastSeen) this.lastSeen[domain]![at] = lastSeen;
    if (this.latest[domain]! < lastSeen) this.latest[domain] = lastSeen;
  }

  /** Whether `domain` has passed from any network since `since`; `asked` tells the domains asked about. */
  any(domain: number, since: number, asked: (domain: number) => boolean): boolean {
    if ((this.latest[domain] ?? -1) >= since) return true;
    return (this.children[domain] ?? []).some((child) => !asked(child) && this.latest[child]! >= since);
  }

  /** How many networks `domain` has passed from since `since`. */
  count(domain: number, since: number, asked: (domain: number) => boolean): number {
    const seen = new Set<number>();
    const collect = (d: number) => this.groups[d]?.forEach((group, i) => this.lastSeen[d]![i]! >= since && seen.add(group));
    collect(domain);
    for (const child of this.children[domain] ?? []) if (!asked(child)) collect(child);
    return seen.size;
  }
}
