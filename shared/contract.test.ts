import { describe, expect, it } from 'vitest';
import { EVENTS, REQUEST_NAMES, REQUESTS } from './contract.js';

describe('contract schemas', () => {
  it.each(REQUEST_NAMES)('%s refuses a payload that is not an object', (name) => {
    for (const junk of [null, undefined, 'text', 42, [1, 2]]) expect(REQUESTS[name].payload.safeParse(junk).success).toBe(false);
  });

  it.each([
    ['attempts.recent', { limit: 0 }],
    ['attempts.recent', { limit: 10, actions: ['explode'] }],
    ['attempts.search', { query: 'x'.repeat(301), limit: 10 }],
    ['triplets.get', { id: -1 }],
    ['triplets.page', { sort: 'lastSeen', descending: true, offset: -1, limit: 50 }],
    ['triplets.page', { sort: 'password', descending: true, offset: 0, limit: 50 }],
    ['triplets.page', { sort: 'lastSeen', descending: true, offset: 0, limit: 5000 }],
    ['triplets.passNow', { ids: [] }],
    ['triplets.delete', { ids: [1.5] }],
    ['lists.get', { list: 'white' }],
    ['lists.add', { entries: [], source: 'ui' }],
    ['lists.add', { entries: [{ list: 'allow', kind: 'client-ip', pattern: '1.2.3.4' }], source: 'ui' }],
    ['lists.add', { entries: Array.from({ length: 5001 }, () => ({ list: 'allow', kind: 'client-name', pattern: 'a.example' })), source: 'ui' }],
    ['lists.remove', { ids: ['1'] }],
    ['lists.export', { list: 'allow', format: 'sqlgrey' }],
    ['settings.set', { changes: { password: 'x' } }],
    ['check.explain', { clientAddress: '192.0.2.1', clientName: 'x', sender: 'a@b' }],
  ] as const)('%s refuses %j', (name, payload) => {
    expect(REQUESTS[name].payload.safeParse(payload).success).toBe(false);
  });

  it('accepts well-formed payloads', () => {
    expect(REQUESTS['triplets.page'].payload.safeParse({ sort: 'lastSeen', descending: true, offset: 0, limit: 100, search: 'example' }).success).toBe(true);
    expect(REQUESTS['lists.add'].payload.safeParse({ entries: [{ list: 'deny', kind: 'sender-domain', pattern: 'spam.example' }], source: 'ui' }).success).toBe(true);
    expect(REQUESTS['settings.set'].payload.safeParse({ changes: { delay: 60 } }).success).toBe(true);
  });

  it('describes every event payload', () => {
    expect(EVENTS['attempts.added'].safeParse([{ id: 1 }]).success).toBe(false);
    expect(EVENTS['filter.status'].safeParse({ state: 'running', pid: 1, endpoints: {}, startedAt: 1, version: '1', restarts: 0, message: '' }).success).toBe(true);
  });
});
