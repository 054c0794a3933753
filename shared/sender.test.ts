import { describe, expect, it } from 'vitest';
import { normaliseSender } from './sender.js';

describe('sender normalisation', () => {
  it.each([
    ['Alice@Example.COM', 'alice@example.com'],
    ['<alice@example.com>', 'alice@example.com'],
    ['', '<>'],
    ['<>', '<>'],
    ['alice+newsletter@example.com', 'alice@example.com'],
    ['prvs=1234abcdef=alice@example.com', 'alice@example.com'],
    ['alice=prvs=1234abcdef@example.com', 'alice@example.com'],
    ['SRS0=HHH=TT=orig.example=alice@forwarder.example', 'alice@orig.example'],
    ['SRS1=HHH=forwarder.example==HHH=TT=orig.example=alice@second.example', 'alice@orig.example'],
    ['bounce-1234-5678@lists.example.org', 'bounce-#-#@lists.example.org'],
    ['user123@example.com', 'user123@example.com'],
    ['msprvs1=17xyz=bounces-42@example.net', 'bounces-#@example.net'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseSender(input)).toBe(expected);
  });
});
