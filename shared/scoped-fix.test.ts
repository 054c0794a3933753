import { describe, expect, it } from 'vitest';
import { scopedAllowOffer } from './scoped-fix.js';

const client = (clientAddress: string, clientName: string) => ({ clientAddress, clientName });

describe('the scoped allow fix chosen from the evidence', () => {
  it('offers the provider hostname suffix when every client had a forward-confirmed name of one provider', () => {
    const offer = scopedAllowOffer({
      senderDomain: 'saasvendor.example',
      clientGroups: ['198.51.100.0/24', '203.0.113.0/24', '2001:db8:7::/64'],
      clients: [
        client('198.51.100.17', 'mta-17.eu.outbound.cloudmail.example'),
        client('203.0.113.4', 'MTA-4.us.outbound.cloudmail.example.'),
        client('2001:db8:7::9', 'mta-9.eu.outbound.cloudmail.example'),
      ],
    });
    expect(offer).toEqual({
      pattern: 'saasvendor.example via outbound.cloudmail.example',
      label: 'Allow saasvendor.example via outbound.cloudmail.example',
      effect:
        "Mail from saasvendor.example (and its subdomains) skips greylisting when the client's forward-confirmed hostname is outbound.cloudmail.example or ends in .outbound.cloudmail.example, as every client of this mail's did (mta-17.eu.outbound.cloudmail.example and 2 more). Other senders from those clients, saasvendor.example from other clients, and clients without a verified name are still greylisted.",
    });
  });

  it('keeps the whole name of a single host, and never goes above the registrable domain', () => {
    const one = scopedAllowOffer({ senderDomain: 'old-corp.example', clientGroups: ['62.75.220.0/24'], clients: [client('62.75.220.8', 'exchange.old-corp.example'), client('62.75.220.8', 'exchange.old-corp.example')] });
    expect(one).toMatchObject({ pattern: 'old-corp.example via exchange.old-corp.example', label: 'Allow old-corp.example via exchange.old-corp.example' });
    const siblings = scopedAllowOffer({ senderDomain: 'brand.example', clientGroups: ['10.0.1.0/24', '10.0.2.0/24'], clients: [client('10.0.1.5', 'a.mailhost.co.uk'), client('10.0.2.5', 'b.mailhost.co.uk')] });
    expect(siblings).toMatchObject({ pattern: 'brand.example via mailhost.co.uk' });
  });

  it('offers the covering network, its size in the label, when a name is unverified or names belong to several providers', () => {
    const groups = ['10.200.4.0/24', '10.200.9.0/24', '10.200.17.0/24'];
    const unverified = scopedAllowOffer({ senderDomain: 'saasvendor.example', clientGroups: groups, clients: [client('10.200.4.5', 'out1.pool.example'), client('10.200.9.5', 'unknown')] });
    expect(unverified).toMatchObject({ pattern: 'saasvendor.example from 10.200.0.0/19', label: 'Allow saasvendor.example from 10.200.0.0/19 (/19, 8,192 addresses)' });
    expect((unverified as { effect: string }).effect).toBe(
      'Mail from saasvendor.example (and its subdomains) skips greylisting from 10.200.0.0/19, the smallest network holding the 3 networks it came from (10.200.4.0/24, 10.200.9.0/24 and 1 more), so that its retries from other addresses of that network pass too. Not every client had a forward-confirmed name of one provider, so the entry names a network. Other senders from there, and saasvendor.example from elsewhere, are still greylisted.',
    );
    const twoProviders = scopedAllowOffer({ senderDomain: 'saasvendor.example', clientGroups: ['10.200.0.0/24', '10.200.1.0/24'], clients: [client('10.200.0.5', 'out.one.example'), client('10.200.1.5', 'out.two.example')] });
    expect(twoProviders).toMatchObject({ pattern: 'saasvendor.example from 10.200.0.0/23', label: 'Allow saasvendor.example from 10.200.0.0/23 (/23, 512 addresses)' });
    const single = scopedAllowOffer({ senderDomain: 'corp.example', clientGroups: ['192.0.2.0/24'], clients: [client('192.0.2.7', 'unknown')] });
    expect(single).toMatchObject({ pattern: 'corp.example from 192.0.2.0/24', label: 'Allow corp.example from 192.0.2.0/24 (/24, 256 addresses)' });
    const exactly16 = scopedAllowOffer({ senderDomain: 'corp.example', clientGroups: ['10.7.0.0/24', '10.7.255.0/24'], clients: [] });
    expect(exactly16).toMatchObject({ label: 'Allow corp.example from 10.7.0.0/16 (/16, 65,536 addresses)' });
  });

  it('refuses a covering network wider than /16 (IPv4) or /32 (IPv6), offering the networks seen instead', () => {
    const wide = scopedAllowOffer({ senderDomain: 'saasvendor.example', clientGroups: ['10.1.0.0/24', '10.200.0.0/24'], clients: [client('10.1.0.9', 'unknown')] });
    expect(wide).toMatchObject({
      pattern: 'saasvendor.example from 10.1.0.0/24, 10.200.0.0/24',
      label: 'Allow saasvendor.example from 10.1.0.0/24 (/24, 256 addresses) and 10.200.0.0/24 (/24, 256 addresses)',
    });
    expect((wide as { effect: string }).effect).toContain('Their smallest common network, 10.0.0.0/8 (/8, 16,777,216 addresses), is wider than a /16: only the networks seen are allowed, so a retry from another network is still greylisted.');
    const v6 = scopedAllowOffer({ senderDomain: 'dual.example', clientGroups: ['2001:db8:1:2::/64', '2001:db8:1:3::/64', '192.0.2.0/24'], clients: [] });
    expect(v6).toMatchObject({
      pattern: 'dual.example from 192.0.2.0/24, 2001:db8:1:2::/63',
      label: 'Allow dual.example from 192.0.2.0/24 (/24, 256 addresses) and 2001:db8:1:2::/63 (/63, 2 /64 networks)',
    });
    const v6wide = scopedAllowOffer({ senderDomain: 'dual.example', clientGroups: ['2001:db8::/64', '2001:db9::/64', '2001:dba::/64', '2001:dbb::/64'], clients: [] });
    expect(v6wide).toMatchObject({ pattern: 'dual.example from 2001:db8::/64, 2001:db9::/64, 2001:dba::/64, 2001:dbb::/64', label: 'Allow dual.example from 4 client networks (4 /64 networks)' });
  });

  it('has nothing to offer for a bounce', () => {
    expect(scopedAllowOffer({ senderDomain: '', clientGroups: ['192.0.2.0/24'], clients: [] })).toEqual({ unavailable: 'a bounce (empty sender) has no sender domain; allow the client network instead' });
  });
});
