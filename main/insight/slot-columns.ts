/** Typed columns of slots that grow by doubling; a released slot is handed out again. */
export class SlotColumns<T extends Record<string, Int32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor>> {
  size = 0;
  private capacity = 1024;
  private readonly free: number[] = [];
  cols: { [K in keyof T]: InstanceType<T[K]> };

  constructor(private readonly kinds: T) {
    this.cols = Object.fromEntries(Object.entries(kinds).map(([name, Kind]) => [name, new Kind(this.capacity)])) as { [K in keyof T]: InstanceType<T[K]> };
  }

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.size === this.capacity) {
      this.capacity *= 2;
      for (const name of Object.keys(this.kinds) as Array<keyof T>) {
        const grown = new this.kinds[name]!(this.capacity) as InstanceType<T[typeof name]>;
        grown.set(this.cols[name] as never);
        this.cols[name] = grown;
      }
    }
    return this.size++;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  /** Gives back the room beyond a quarter more than is used: doubling leaves up to half of it empty. */
  trim(): void {
    const capacity = Math.max(1024, Math.ceil(this.size * 1.25));
    if (capacity >= this.capacity) return;
    this.capacity = capacity;
    for (const name of Object.keys(this.kinds) as Array<keyof T>) this.cols[name] = this.cols[name].slice(0, capacity) as InstanceType<T[typeof name]>;
  }
}
