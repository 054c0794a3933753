import { describe, expect, it } from 'vitest';
import { checkCommand, checkSimulator, decisionSentence, shellQuote, shortRule, simulatorRequest } from './trace-logic.js';

const form = { clientAddress: '192.0.2.7', clientName: 'mail.example.com', sender: 'alice@example.com', recipient: 'bob@example.net' };

describe('the simulator form', () => {
  it('asks for a client address and a recipient, and takes an empty sender as a bounce', () => {
    expect(checkSimulator(form)).toEqual({});
    expect(checkSimulator({ ...form, sender: '' })).toEqual({});
    expect(checkSimulator({ ...form, sender: '<>' })).toEqual({});
    expect(checkSimulator({ ...form, clientAddress: ' 2001:db8::25 ' })).toEqual({});
    expect(checkSimulator({ ...form, clientAddress: '' }).clientAddress).toMatch(/needed/);
    expect(checkSimulator({ ...form, clientAddress: 'mail.example.com' }).clientAddress).toBe('"mail.example.com" is not an IPv4 or IPv6 address');
    expect(checkSimulator({ ...form, sender: 'alice' }).sender).toMatch(/bounce/);
    expect(checkSimulator({ ...form, recipient: '' }).recipient).toMatch(/needed/);
    expect(checkSimulator({ ...form, recipient: 'bob at example.net' }).recipient).toMatch(/bob@example.net/);
    expect(simulatorRequest({ ...form, sender: ' <> ', recipient: ' bob@example.net ' })).toEqual({ ...form, sender: '', recipient: 'bob@example.net' });
  });

  it('writes the same question as a greyward check command line', () => {
    expect(checkCommand(form)).toBe('greyward check --client-address 192.0.2.7 --client-name mail.example.com --sender alice@example.com --recipient bob@example.net');
    expect(checkCommand({ ...form, clientName: '', sender: '<>' })).toBe("greyward check --client-address 192.0.2.7 --sender '' --recipient bob@example.net");
    expect(shellQuote("o'brien@example.com")).toBe(`'o'\\''brien@example.com'`);
  });

  it('says the decision in a sentence', () => {
    const base = { reason: '', rule: '', reply: '' };
    expect(decisionSentence({ ...base, action: 'defer', delay: 300 })).toBe('Deferred now: a retry passes in 300 s or later.');
    expect(decisionSentence({ ...base, action: 'pass', delay: 400 })).toBe('Passes now: greylisting has let this triplet through.');
    expect(decisionSentence({ ...base, action: 'allow', delay: null })).toBe('Accepted without greylisting.');
    expect(decisionSentence({ ...base, action: 'reject', delay: null })).toBe('Rejected.');
  });

  it('shortens a triplet rule to its network in a trace row (sender and recipient stand beside it)', () => {
    const attempt = { sender: 'Alice+news@Example.com', recipient: 'bob@example.net' };
    expect(shortRule('triplet 192.0.2.0/24 alice@example.com bob@example.net', attempt)).toBe('triplet 192.0.2.0/24');
    expect(shortRule('triplet 192.0.2.0/24 <> bob@example.net', { sender: '', recipient: 'bob@example.net' })).toBe('triplet 192.0.2.0/24');
    expect(shortRule('allow client-address 192.0.2.0/24 (#4)', attempt)).toBe('allow client-address 192.0.2.0/24 (#4)');
    expect(shortRule('triplet 192.0.2.0/24 alice@example.com carol@example.net', attempt)).toBe('triplet 192.0.2.0/24 alice@example.com carol@example.net');
  });
});
