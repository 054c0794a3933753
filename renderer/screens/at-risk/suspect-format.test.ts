import { describe, expect, it } from 'vitest';
import { credibilityOf, fixesFor, formatWeight, networksShort, secondsLeftNow, silentSenderAdvice, windowLeft } from './suspect-format.js';

const HOUR = 3600;

describe('how a suspect reads on the At risk screen', () => {
  it('counts the window down on this machine, from when the list was answered', () => {
    // The server said 2 h left; 90 s later on this machine's clock, whatever the server's clock says.
    expect(secondsLeftNow({ secondsLeft: 2 * HOUR }, 1_000, 1_090)).toBe(2 * HOUR - 90);
    // A clock stepping backwards does not add time.
    expect(secondsLeftNow({ secondsLeft: 2 * HOUR }, 1_000, 900)).toBe(2 * HOUR);
  });

  it('says how long the window stays open, and when it is urgent', () => {
    expect(windowLeft(47 * HOUR + 2 * 60 + 30)).toEqual({ text: '47h 02m', tone: 'good', open: true, urgent: false });
    expect(windowLeft(20 * HOUR)).toMatchObject({ text: '20h 00m', tone: 'warn', urgent: false });
    expect(windowLeft(5 * HOUR + 59 * 60 + 3)).toMatchObject({ text: '5h 59m 03s', tone: 'bad', urgent: true });
    expect(windowLeft(42 * 60 + 7)).toMatchObject({ text: '42m 07s', urgent: true });
    expect(windowLeft(9)).toMatchObject({ text: '9s', urgent: true });
    expect(windowLeft(0)).toMatchObject({ text: 'closing now', open: false });
    expect(windowLeft(-3 * HOUR)).toEqual({ text: 'closed 3h ago', tone: 'muted', open: false, urgent: false });
    expect(windowLeft(-(59 * 60 + 5)).text).toBe('closed 59m ago');
    expect(windowLeft(-42).text).toBe('closed 42s ago');
  });

  it('reads credibility as a percentage and a word, and weights as points', () => {
    expect(credibilityOf(0.85)).toEqual({ percent: '85%', word: 'likely legitimate', tone: 'good' });
    expect(credibilityOf(0.6).tone).toBe('good');
    expect(credibilityOf(0.45)).toMatchObject({ word: 'uncertain', tone: 'warn' });
    expect(credibilityOf(0)).toMatchObject({ percent: '0%', word: 'spam-like', tone: 'bad' });
    expect(formatWeight(0.25)).toBe('+25');
    expect(formatWeight(-0.35)).toBe('−35');
  });

  it('names the networks a fix touches, and refuses a domain fix for a bounce', () => {
    const evidence = ['10.5.0.9', '10.5.1.9', '10.5.2.9'].map((clientAddress, i) => ({ at: i, clientAddress, clientName: `out${i}.pool.mailhost.example`, action: 'defer', reason: 'new', tripletId: 4 }));
    const suspect = { sender: 'billing@brand.example', senderDomain: 'brand.example', clientGroups: ['10.5.0.0/24', '10.5.1.0/24', '10.5.2.0/24'], tripletIds: [4, 9, 12], evidence };
    const [pass, network, domain] = fixesFor(suspect, 35 * 86_400);
    expect(pass).toMatchObject({ fix: 'pass-now', label: 'Pass now', effect: 'Its next attempt is accepted at once, and for 35 days after (its 3 triplets only).' });
    expect(network).toMatchObject({ fix: 'allow-client-network', label: 'Allow the client networks', effect: 'All mail from 10.5.0.0/24, 10.5.1.0/24 and 1 more skips greylisting from now on.' });
    expect(domain).toMatchObject({ fix: 'allow-sender-domain', label: 'Allow brand.example via pool.mailhost.example' });
    expect(domain!.unavailable).toBeUndefined();
    const unverified = fixesFor({ ...suspect, evidence: evidence.map((e) => ({ ...e, clientName: 'unknown' })) }, 86_400)[2]!;
    expect(unverified).toMatchObject({ label: 'Allow brand.example from 10.5.0.0/22 (/22, 1,024 addresses)' });
    expect(unverified.effect).toMatch(/^Mail from brand\.example \(and its subdomains\) skips greylisting from 10\.5\.0\.0\/22, the smallest network holding the 3 networks it came from/);

    const bounce = fixesFor({ sender: '', senderDomain: '', clientGroups: ['192.0.2.0/24'], tripletIds: [3], evidence: [] }, 86_400);
    expect(bounce[0]!.effect).toBe('Its next attempt is accepted at once, and for 1 day after (this triplet only).');
    expect(bounce[1]!.label).toBe('Allow the client network');
    expect(bounce[2]!.unavailable).toMatch(/bounce/);
    expect(networksShort(['a', 'b', 'c'])).toEqual({ first: 'a', more: 2 });
    expect(networksShort([])).toEqual({ first: '—', more: 0 });
  });

  it('advises asking a silent sender to send again', () => {
    expect(silentSenderAdvice({ primary: 'early-then-gone' }, 35 * 86_400)).toMatch(/will not retry by itself.*within 35 days, even after the retry window has closed\.$/);
    expect(silentSenderAdvice({ primary: 'pool-rotation' }, 35 * 86_400)).toBeUndefined();
  });
});
