import { describe, expect, it } from 'vitest';
import type { WaitingAttemptRow } from '../store/insight-queries.js';
import { summarise } from './summary.js';

const NOW = 1_800_000_000;
const at = (...times: number[]): WaitingAttemptRow[] =>
  times.map((time) => ({ tripletId: 1, at: time, clientAddress: '192.0.2.7', clientName: 'mx.example.org', sender: 'a@example.org', recipient: 'b@example.net', action: 'defer', reason: 'early-retry' }));

describe('the one-line evidence of a mail at risk', () => {
  it('tells attempts within one second as such, never "every 0 s" or "over 0 s"', () => {
    const summary = summarise({ primary: 'hammering', attempts: at(NOW - 600, NOW - 600, NOW - 600, NOW - 600), clientGroups: ['192.0.2.0/24'], now: NOW });
    expect(summary).toBe('4 attempts within one second from 192.0.2.7 [mx.example.org], all deferred inside the delay; silent for 10 min');
  });

  it('gives the gap between attempts when there is one', () => {
    const summary = summarise({ primary: 'hammering', attempts: at(NOW - 600, NOW - 590, NOW - 580), clientGroups: ['192.0.2.0/24'], now: NOW });
    expect(summary).toBe('3 attempts over 20 s, every 10 s from 192.0.2.7 [mx.example.org], all deferred inside the delay; silent for 10 min');
  });
});
