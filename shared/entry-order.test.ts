import { describe, expect, it } from 'vitest';
import { sortListEntries } from './entry-order.js';
import type { ListEntry, ListKind, ListName } from './lists.js';

let nextId = 1;
const entry = (pattern: string, kind: ListKind = 'client-address', list: ListName = 'allow'): ListEntry => ({
  id: nextId++,
  list,
  kind,
  pattern,
  comment: '',
  source: 'test',
  createdAt: 0,
  expiresAt: null,
  hits: 0,
  lastHitAt: null,
});
const order = (entries: ListEntry[]) => sortListEntries(entries).map((e) => e.pattern);

describe('the order of list entries', () => {
  it('sorts client addresses as addresses: 192.0.2.9 before 192.0.2.10, IPv4 before IPv6', () => {
    const shuffled = ['2001:db8::10', '192.0.2.10', '10.0.0.1', '192.0.2.9', '2001:db8::9', '::1', '100.64.0.1', '9.9.9.9'];
    expect(order(shuffled.map((p) => entry(p)))).toEqual(['9.9.9.9', '10.0.0.1', '100.64.0.1', '192.0.2.9', '192.0.2.10', '::1', '2001:db8::9', '2001:db8::10']);
  });

  it('puts a network by its start address, before the addresses it holds and the narrower networks starting there', () => {
    const shuffled = ['192.0.2.1', '192.0.2.128/25', '192.0.2.0', '192.0.2.0/25', '192.0.2.0/24', '192.0.0.0/16', '192.0.3.0/24', '2001:db8::/32', '2001:db8::1'];
    expect(order(shuffled.map((p) => entry(p)))).toEqual([
      '192.0.0.0/16',
      '192.0.2.0/24',
      '192.0.2.0/25',
      '192.0.2.0',
      '192.0.2.1',
      '192.0.2.128/25',
      '192.0.3.0/24',
      '2001:db8::/32',
      '2001:db8::1',
    ]);
  });

  it('keeps lists and kinds apart and other kinds in text order, with a pattern no address reading understands last', () => {
    const entries = [
      entry('b.example', 'sender-domain'),
      entry('a.example', 'sender-domain'),
      entry('not an address'),
      entry('10.0.0.2'),
      entry('10.0.0.1', 'client-address', 'deny'),
    ];
    expect(sortListEntries(entries).map((e) => `${e.list} ${e.kind} ${e.pattern}`)).toEqual([
      'allow client-address 10.0.0.2',
      'allow client-address not an address',
      'allow sender-domain a.example',
      'allow sender-domain b.example',
      'deny client-address 10.0.0.1',
    ]);
  });
});

describe('IPv6 entries in address order, whichever way they are written', () => {
  it('reads compressed, full and mapped forms alike', () => {
    const written = ['2001:db8:0:0:0:0:0:a', '2001:DB8::9', '::', '2001:db8::1:0:0:1', 'fe80::', '::ffff:192.0.2.1', '2001:db8::/32', '1::', 'ff02::1'];
    expect(order(written.map((p) => entry(p)))).toEqual(['::ffff:192.0.2.1', '::', '1::', '2001:db8::/32', '2001:DB8::9', '2001:db8:0:0:0:0:0:a', '2001:db8::1:0:0:1', 'fe80::', 'ff02::1']);
  });

  it('sorts malformed colon texts after the addresses, not among them', () => {
    expect(order(['1::2::3', '2001:db8::1', '1:2:3:4:5:6:7:8:9', '10.0.0.1'].map((p) => entry(p)))).toEqual(['10.0.0.1', '2001:db8::1', '1:2:3:4:5:6:7:8:9', '1::2::3']);
  });
});
