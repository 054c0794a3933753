import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { greywardNodeFlags } from './node-flags.js';

describe('greyward node flags', () => {
  it('come from the shebang of bin/greyward.cjs', () => {
    expect(greywardNodeFlags(fileURLToPath(new URL('../bin/greyward.cjs', import.meta.url)))).toEqual(['--max-semi-space-size=1', '--max-old-space-size=256']);
  });
});
