import { describe, expect, it } from 'vitest';
import { RecentStates } from './recent-states.js';

const state = (attempts: number) => ({ firstSeen: 10, lastSeen: 10 + attempts, attempts, earlyAttempts: 0, passedAt: null, passes: 0 });
const client = (address: string) => ({ client: address, passes: 3, lastCountedAt: 10, lastSeen: 10 });
const key = (sender: string, clientGroup = '192.0.2.0/24') => ({ clientGroup, sender, recipient: 'r@example.net' });
const attempt = { at: 10, clientAddress: '192.0.2.1', clientName: '', helo: '', sender: '', recipient: '', queueId: '', action: 'pass' as const, reason: 'known', rule: '', delay: null };

describe('RecentStates', () => {
  it('remembers what a read found and what a decision then stored, keeping the row id', () => {
    const recent = new RecentStates();
    recent.read(key('a'), '192.0.2.1', { triplet: state(1), tripletId: 7, clientPasses: client('192.0.2.1') });
    expect(recent.get(key('a'), '192.0.2.1')).toEqual({ triplet: state(1), tripletId: 7, clientPasses: client('192.0.2.1') });
    recent.wrote({ attempt, triplet: { key: key('a'), state: state(2) }, clientPasses: { ...client('192.0.2.1'), passes: 4 } });
    expect(recent.get(key('a'), '192.0.2.1')).toEqual({ triplet: state(2), tripletId: 7, clientPasses: { ...client('192.0.2.1'), passes: 4 } });
  });

  it('keeps no first contact, and answers only when it knows both the triplet and its client', () => {
    const recent = new RecentStates();
    recent.wrote({ attempt, triplet: { key: key('new'), state: state(1) }, clientPasses: client('198.51.100.1') });
    expect(recent.get(key('new'), '192.0.2.1')).toBeUndefined();
    recent.read(key('b', '203.0.113.0/24'), '203.0.113.1', { triplet: state(1), tripletId: 8, clientPasses: undefined });
    expect(recent.get(key('b', '203.0.113.0/24'), '203.0.113.1')).toBeUndefined();
  });

  it('lets the least recently used go first, and forgets everything when told', () => {
    const recent = new RecentStates(2);
    for (const sender of ['a', 'b']) recent.read(key(sender), '192.0.2.1', { triplet: state(1), tripletId: 1, clientPasses: client('192.0.2.1') });
    expect(recent.get(key('a'), '192.0.2.1')).toBeDefined();
    recent.read(key('c'), '192.0.2.1', { triplet: state(1), tripletId: 3, clientPasses: client('192.0.2.1') });
    expect([recent.get(key('a'), '192.0.2.1'), recent.get(key('b'), '192.0.2.1'), recent.get(key('c'), '192.0.2.1')].map(Boolean)).toEqual([true, false, true]);
    recent.forget();
    expect(recent.get(key('a'), '192.0.2.1')).toBeUndefined();
  });
});
