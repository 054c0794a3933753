import { describe, expect, it } from 'vitest';
import type { ListEntry } from '../../shared/lists.js';
import { clientGroup } from '../../shared/net.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { decide, greylistKey, type PolicyQuestion } from './engine.js';
import { ListMatcher } from './list-matcher.js';

const T0 = 1_800_000_000;
const denyNetwork: ListEntry = { id: 1, list: 'deny', kind: 'client-address', pattern: '192.0.2.0/24', comment: '', source: 'test', createdAt: T0, expiresAt: null, hits: 0, lastHitAt: null };
const matcher = new ListMatcher([denyNetwork]);
const subject = (clientAddress: string) => ({ clientAddress, clientName: '', sender: 'alice@example.com', recipient: 'bob@example.net' });

// Forms ipaddr.js or inet_aton read as 192.0.2.7 but Postfix never writes: not an address to Greyward.
const NOT_ADDRESSES = ['3221225991', '0xc0.0.2.7', '0300.0.2.7', '192.0.2.07', '192.0.519', '0xc0000207', 'fe80::1%eth0', '192.0.2.7.'];

describe('a client address is read one way by the list matcher and the grouping', () => {
  it.each(NOT_ADDRESSES)('%j is not an address: no network entry matches it and it groups as itself', (address) => {
    expect(matcher.match('deny', subject(address), T0)).toBeUndefined();
    expect(clientGroup(address, 24, 64)).toBe(address);
  });

  it.each(['192.0.2.7', '::ffff:192.0.2.7', '::FFFF:c000:0207'])('%j is 192.0.2.7 to both', (address) => {
    expect(matcher.match('deny', subject(address), T0)).toMatchObject({ id: 1, list: 'deny', pattern: '192.0.2.0/24' });
    expect(clientGroup(address, 24, 64)).toBe('192.0.2.0/24');
  });

  it.each(NOT_ADDRESSES)('the engine answers a request from %j without a crash: greylisted as that text, never denied by the network', (address) => {
    const question: PolicyQuestion = { protocolState: 'RCPT', clientAddress: address, clientName: 'unknown', sender: 'alice@example.com', recipient: 'bob@example.net' };
    const settings = DEFAULT_SETTINGS;
    const decision = decide(question, { settings, lists: matcher, productVersion: 'test' }, { triplet: undefined, clientPasses: undefined }, T0);
    expect(decision).toMatchObject({ action: 'defer', reason: 'new' });
    expect(greylistKey(question, settings).clientGroup).toBe(address);
  });
});
