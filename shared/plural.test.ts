import { describe, expect, it } from 'vitest';
import { counted } from './plural.js';

describe('a count with its noun', () => {
  it('uses the singular for one only, and groups thousands', () => {
    expect([0, 1, 2, 1500].map((n) => counted(n, 'entry', 'entries'))).toEqual(['0 entries', '1 entry', '2 entries', '1,500 entries']);
    expect([1, 3].map((n) => counted(n, 'second'))).toEqual(['1 second', '3 seconds']);
  });
});
