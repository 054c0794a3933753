/**
 * A set that can only say "certainly not" or "perhaps": no false negatives, and about
 * `falsePositiveRate` false positives once `capacity` keys are in. A few bytes per key, however
 * long the keys are.
 */
export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly bitCount: number;
  private readonly hashes: number;
  /** Keys added that it did not already hold (near enough: a false positive is not counted); past `capacity` the false positives grow. */
  added = 0;

  /** `bits`: the bits of a filter of the same capacity built elsewhere (another thread), taken over as they are. */
  constructor(readonly capacity: number, falsePositiveRate = 0.01, bits?: Uint32Array) {
    const bitsPerKey = -Math.log(falsePositiveRate) / Math.LN2 ** 2;
    this.bitCount = Math.max(64, Math.ceil(capacity * bitsPerKey));
    this.bits = bits ?? new Uint32Array(Math.ceil(this.bitCount / 32));
    if (this.bits.length !== Math.ceil(this.bitCount / 32)) throw new Error('bloom filter bits of another size');
    this.hashes = Math.max(1, Math.round(bitsPerKey * Math.LN2));
  }

  /** The bits, to hand to another thread (see the constructor). */
  get words(): Uint32Array {
    return this.bits;
  }

  add(key: string): void {
    const [h1, h2] = hashPair(key);
    let changed = false;
    for (let i = 0; i < this.hashes; i++) {
      const index = ((h1 + Math.imul(i, h2)) >>> 0) % this.bitCount;
      const word = index >>> 5;
      const bit = 1 << (index & 31);
      if ((this.bits[word]! & bit) === 0) {
        this.bits[word]! |= bit;
        changed = true;
      }
    }
    if (changed) this.added++;
  }

  mightContain(key: string): boolean {
    const [h1, h2] = hashPair(key);
    for (let i = 0; i < this.hashes; i++) {
      const index = ((h1 + Math.imul(i, h2)) >>> 0) % this.bitCount;
      if ((this.bits[index >>> 5]! & (1 << (index & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit FNV-1a hashes in one pass; the bit positions are h1 + i·h2 (Kirsch–Mitzenmacher). */
function hashPair(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // An odd step visits different bits for every i, whatever the table size.
  return [a >>> 0, (b | 1) >>> 0];
}
