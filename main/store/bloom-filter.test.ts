import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom-filter.js';

const triplet = (i: number) => `198.51.${i % 256}.0/24\0user${i}@sender${i % 997}.example\0rcpt${i % 31}@example.net`;

describe('BloomFilter', () => {
  it('never forgets a key it was given', () => {
    const filter = new BloomFilter(50_000);
    for (let i = 0; i < 50_000; i++) filter.add(triplet(i));
    for (let i = 0; i < 50_000; i++) expect(filter.mightContain(triplet(i))).toBe(true);
  });

  it('says "perhaps" for about 1% of keys it was never given, once full', () => {
    const filter = new BloomFilter(50_000);
    for (let i = 0; i < 50_000; i++) filter.add(triplet(i));
    let falsePositives = 0;
    for (let i = 50_000; i < 150_000; i++) if (filter.mightContain(triplet(i))) falsePositives++;
    expect(falsePositives / 100_000).toBeLessThan(0.02);
  });

  it('counts a key once however often it is added', () => {
    const filter = new BloomFilter(1000);
    for (let round = 0; round < 5; round++) for (let i = 0; i < 100; i++) filter.add(triplet(i));
    expect(filter.added).toBe(100);
  });

  it('tells keys apart that differ in one character or in order only', () => {
    const filter = new BloomFilter(10);
    filter.add('a\0b\0c');
    expect(filter.mightContain('a\0b\0c')).toBe(true);
    expect(filter.mightContain('a\0c\0b')).toBe(false);
    expect(filter.mightContain('a\0b\0d')).toBe(false);
  });
});
