/**
 * Takes turns among clients that have more requests waiting than one slice, a slice each, in
 * short event-loop turns. Between two turns Node polls its sockets again: a client that sends one
 * request and waits for its answer (Postfix) is read and answered after one short turn, however
 * many requests other clients have sent at once.
 */
export class RoundRobin<T> {
  /** In turn order: a client served and still waiting goes to the back. */
  private readonly waiting = new Set<T>();
  private scheduled = false;

  /**
   * serve answers one slice of a client's requests and says whether it has more waiting to be
   * served. One event-loop turn serves slicesPerTurn slices at most, and none after turnMs: the
   * count bounds what a turn can do on any machine, the time what it costs on a slow one.
   */
  constructor(
    private readonly serve: (client: T) => boolean,
    private readonly slicesPerTurn: number,
    private readonly turnMs: number,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  add(client: T): void {
    this.waiting.add(client);
    this.schedule();
  }

  delete(client: T): void {
    this.waiting.delete(client);
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const end = performance.now() + this.turnMs;
    let slices = 0;
    for (const client of this.waiting) {
      if (slices++ === this.slicesPerTurn || (slices > 1 && performance.now() > end)) break;
      this.waiting.delete(client);
      if (this.serve(client)) this.waiting.add(client);
    }
    this.schedule();
  }
}
