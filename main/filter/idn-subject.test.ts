import { describe, expect, it } from 'vitest';
import { normalisePattern, type ListEntry, type ListKind } from '../../shared/lists.js';
import { matchSubject, type PolicyQuestion } from './engine.js';
import { ListMatcher } from './list-matcher.js';

const T0 = 1_800_000_000;
const allow = (kind: ListKind, text: string): ListEntry => ({ id: 1, list: 'allow', kind, pattern: normalisePattern(kind, text), comment: '', source: 'test', createdAt: T0, expiresAt: null, hits: 0, lastHitAt: null });
const question = (over: Partial<PolicyQuestion>): PolicyQuestion => ({ protocolState: 'RCPT', clientAddress: '192.0.2.10', clientName: 'unknown', sender: 'a@example.com', recipient: 'b@example.net', ...over });

describe('an IDN entry, stored as punycode, matches the name in either form', () => {
  it.each<[ListKind, string, Partial<PolicyQuestion>]>([
    ['sender-domain', 'bücher.example', { sender: 'info@bücher.example' }],
    ['sender-domain', 'bücher.example', { sender: 'info@xn--bcher-kva.example' }],
    ['sender-address', 'info@Bücher.example', { sender: 'Info@BÜCHER.example' }],
    ['recipient-domain', 'bücher.example', { recipient: 'postmaster@bücher.example' }],
    ['client-name', 'bücher.example', { clientName: 'mx.bücher.example' }],
  ])('%s %s matches %j', (kind, text, over) => {
    const matcher = new ListMatcher([allow(kind, text)]);
    expect(matcher.match('allow', matchSubject(question(over)), T0)).toBeDefined();
  });
});
