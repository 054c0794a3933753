import { describe, expect, it } from 'vitest';
import { decodeWrites, encodeWrites } from './decision-codec.js';
import type { DecisionWrite } from './greylist-store.js';

const attempt = (sender: string, action: DecisionWrite['attempt']['action'], delay: number | null) => ({
  at: 1_800_000_000,
  clientAddress: '2001:db8::25',
  clientName: 'mx.example.org',
  helo: '',
  sender,
  recipient: 'postmaster@example.net',
  queueId: '4Xyz1',
  action,
  reason: action === 'defer' ? 'new' : 'known',
  rule: 'triplet "quoted" \0 text',
  delay,
});

describe('the decisions sent to the writer thread', () => {
  it('arrive exactly as they were made, whatever parts each decision has', () => {
    const writes: DecisionWrite[] = [
      { attempt: attempt('', 'allow', null) },
      {
        attempt: attempt('a@example.org', 'defer', 300),
        triplet: {
          key: { clientGroup: '2001:db8::/64', sender: 'a@example.org', recipient: 'postmaster@example.net' },
          state: { firstSeen: 1, lastSeen: 1, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 },
        },
        listHit: { entryId: 12, at: 1_800_000_000 },
      },
      {
        attempt: attempt('<>', 'pass', 0),
        triplet: {
          key: { clientGroup: '192.0.2.0/24', sender: '<>', recipient: 'b@example.net' },
          state: { firstSeen: 1, lastSeen: 400, attempts: 3, earlyAttempts: 1, passedAt: 400, passes: 1 },
          id: 0,
        },
        clientPasses: { client: '192.0.2.10', passes: 4, lastCountedAt: 400, lastSeen: 400 },
      },
    ];
    expect(decodeWrites(structuredClone(encodeWrites(writes)))).toStrictEqual(writes);
    expect(decodeWrites(encodeWrites([]))).toStrictEqual([]);
  });
});
