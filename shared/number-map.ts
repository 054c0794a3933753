/**
 * A map from non-negative safe integers to non-negative 32-bit integers, held in two typed arrays
 * (open addressing): millions of entries cost no object each, where a Map keeps a heap number per
 * large key alive for the garbage collector to walk over and over.
 */
export class NumberMap {
  private keys: Float64Array;
  private values: Int32Array;
  private count = 0;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Float64Array(capacity).fill(-1);
    this.values = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const found = keys[slot]!;
      if (found === key) return this.values[slot]!;
      if (found === -1) return -1;
    }
  }

  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.rehash(this.keys.length * 2);
    const keys = this.keys;
    const mask = keys.length - 1;
    let slot = hash(key) & mask;
    while (keys[slot] !== -1 && keys[slot] !== key) slot = (slot + 1) & mask;
    if (keys[slot] === -1) this.count++;
    keys[slot] = key;
    this.values[slot] = value;
  }

  private rehash(capacity: number): void {
    const { keys, values } = this;
    this.keys = new Float64Array(capacity).fill(-1);
    this.values = new Int32Array(capacity);
    this.count = 0;
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== -1) this.set(keys[slot]!, values[slot]!);
  }
}

function hash(key: number): number {
  const low = key >>> 0;
  const high = (key / 4_294_967_296) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 13);
}
