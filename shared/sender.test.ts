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
    // reversed BATV: the part that is a 10-character tag is dropped, whichever side it is on
    ['prvs=alice=1234abcdef@example.com', 'alice@example.com'],
    ['prvs=alice=0987fedcba@example.com', 'alice@example.com'],
    ['PRVS=Alice.Smith=1234ABCDEF@Example.com', 'alice.smith@example.com'],
    ['prvs=newsletters=1234abcdef@example.com', 'newsletters@example.com'],
    // both parts could be tags: the one shaped like the draft's K DDD SSSSSS tag is the tag
    ['prvs=newsletter=1234abcdef@example.com', 'newsletter@example.com'],
    ['prvs=1234abcdef=newsletter@example.com', 'newsletter@example.com'],
    // neither part looks like a tag: read the draft's order
    ['prvs=abc=bob@example.com', 'bob@example.com'],
    // Barracuda's btv1==tag==user
    ['btv1==0123456789a==alice@example.com', 'alice@example.com'],
    ['btv1==6b3f1d09e2c==bounces-42@example.net', 'bounces-#@example.net'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseSender(input)).toBe(expected);
  });

  it.each([
    ['prvs=1234abcdef=alice@example.com', 'prvs=9876fedcba=alice@example.com'],
    ['prvs=alice=1234abcdef@example.com', 'prvs=alice=9876fedcba@example.com'],
    ['btv1==0123456789a==alice@example.com', 'btv1==fedcba98765==alice@example.com'],
  ])('%j and %j, two messages of one sender, share one triplet key', (first, second) => {
    expect(normaliseSender(first)).toBe(normaliseSender(second));
  });
});
