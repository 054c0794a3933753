import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientGroup, formatNetwork, networkAddress, parseNetwork } from './net.js';

describe('client grouping', () => {
  it.each([
    ['192.0.2.77', 24, 64, '192.0.2.0/24'],
    ['192.0.2.77', 32, 64, '192.0.2.77'],
    ['192.0.2.77', 20, 64, '192.0.0.0/20'],
    ['2001:db8:1:2:3:4:5:6', 24, 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6', 24, 128, '2001:db8:1:2:3:4:5:6'],
    ['::ffff:192.0.2.77', 24, 64, '192.0.2.0/24'],
    ['::ffff:c000:24d', 24, 64, '192.0.2.0/24'],
    [' 2001:DB8:0:0:0:0:0:1 ', 24, 48, '2001:db8::/48'],
    ['fe80::1%eth0', 24, 64, 'fe80::1%eth0'],
    ['not-an-ip', 24, 64, 'not-an-ip'],
  ])('%s with /%i and /%i → %s', (address, v4, v6, expected) => {
    expect(clientGroup(address, v4, v6)).toBe(expected);
  });

  it('agrees with the general network arithmetic for every IPv4 address and prefix', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 8, max: 32 }), (address, prefix) => {
        const general = formatNetwork({ family: 4, address: networkAddress(address, prefix), prefix });
        expect(clientGroup(address, prefix, 64)).toBe(general);
      }),
    );
  });
});

describe('client grouping of IPv6', () => {
  it('agrees with the general network arithmetic for every IPv6 address and prefix', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 16, max: 128 }), (address, prefix) => {
        const mapped = parseNetwork(address).family === 4;
        fc.pre(!mapped);
        const general = formatNetwork({ family: 6, address: networkAddress(address, prefix), prefix });
        expect(clientGroup(address, 24, prefix)).toBe(general);
      }),
    );
  });
});

describe('networks', () => {
  it('reads addresses and CIDRs into their canonical network', () => {
    expect(formatNetwork(parseNetwork('192.0.2.9/24'))).toBe('192.0.2.0/24');
    expect(formatNetwork(parseNetwork(' 2001:DB8::1/32 '))).toBe('2001:db8::/32');
    expect(() => parseNetwork('192.0.2.0/')).toThrow(/prefix length/);
    expect(() => parseNetwork('1.2.3')).toThrow(/not an IPv4 or IPv6/);
  });
});
