import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { greywardNodeFlags } from './node-flags.js';

const BIN = fileURLToPath(new URL('../bin/greyward.cjs', import.meta.url));

describe('greyward node flags', () => {
  it("are the filter's heap caps, kept beside bin/greyward.cjs", () => {
    expect(greywardNodeFlags(BIN)).toEqual(['--max-semi-space-size=1', '--max-old-space-size=256']);
  });

  it("are not in the command's shebang, which every administration command runs with", () => {
    expect(readFileSync(BIN, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
  });
});
