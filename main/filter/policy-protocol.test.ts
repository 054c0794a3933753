import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, formatReply, PolicyRequestParser, ProtocolError, readPolicyRequest } from './policy-protocol.js';

const REQUEST = [
  'request=smtpd_access_policy',
  'protocol_state=RCPT',
  'protocol_name=ESMTP',
  'client_address=192.0.2.10',
  'client_name=mail.example.com',
  'helo_name=mail.example.com',
  'sender=alice@example.com',
  'recipient=bob@example.net',
  'queue_id=',
  '',
  '',
].join('\n');

const parseAllBytes = (...chunks: Buffer[]) => {
  const parser = new PolicyRequestParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
};

const parseAll = (...chunks: string[]) => {
  const parser = new PolicyRequestParser();
  return chunks.flatMap((chunk) => parser.push(Buffer.from(chunk)));
};

describe('policy request parser', () => {
  it('reads one request, however the bytes are split', () => {
    for (let split = 0; split <= REQUEST.length; split += 7) {
      const [request] = parseAll(REQUEST.slice(0, split), REQUEST.slice(split));
      expect(readPolicyRequest(request!)).toMatchObject({ protocolState: 'RCPT', clientAddress: '192.0.2.10', sender: 'alice@example.com', recipient: 'bob@example.net', queueId: '' });
    }
  });

  it('reads several requests on one connection', () => {
    expect(parseAll(REQUEST + REQUEST + REQUEST)).toHaveLength(3);
  });

  it('hands out at most the requests asked for, keeping the rest, in order, for the next push', () => {
    const numbered = (i: number, end = '\n') => `request=smtpd_access_policy${end}recipient=r${i}@example.net${end}${end}`;
    const text = Array.from({ length: 10 }, (_, i) => numbered(i, i % 3 === 0 ? '\r\n' : '\n')).join('') + 'request=smtpd_acc';
    const parser = new PolicyRequestParser();
    const taken: string[][] = [[]];
    taken[0] = parser.push(Buffer.from(text), 3).map((request) => request.get('recipient')!);
    while (parser.hasLeftOver) taken.push(parser.push(Buffer.alloc(0), 3).map((request) => request.get('recipient')!));
    expect(taken).toEqual([['r0@example.net', 'r1@example.net', 'r2@example.net'], ['r3@example.net', 'r4@example.net', 'r5@example.net'], ['r6@example.net', 'r7@example.net', 'r8@example.net'], ['r9@example.net']]);
    // The unfinished request is still there, and completed by the next chunk.
    expect(parser.midRequest).toBe(true);
    expect(parser.push(Buffer.from('ess_policy\nrecipient=last@example.net\n\n'), 3).map((request) => request.get('recipient'))).toEqual(['last@example.net']);
    expect(parser.midRequest).toBe(false);
  });

  it('reads the same requests, whatever the limit per push and however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 5 }), fc.nat(), (sizes, max, splitAt) => {
        const text = sizes.map((size, i) => `request=smtpd_access_policy\nsender=${'s'.repeat(size)}\nrecipient=r${i}\n\n`).join('');
        const bytes = Buffer.from(text);
        const cut = splitAt % (bytes.length + 1);
        const parser = new PolicyRequestParser();
        const seen: string[] = [];
        for (const chunk of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
          let requests = parser.push(chunk, max);
          for (;;) {
            expect(requests.length).toBeLessThanOrEqual(max);
            seen.push(...requests.map((request) => request.get('recipient')!));
            if (!parser.hasLeftOver) break;
            requests = parser.push(Buffer.alloc(0), max);
          }
        }
        expect(seen).toEqual(sizes.map((_, i) => `r${i}`));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts CRLF line ends and values containing "="', () => {
    const [request] = parseAll('request=smtpd_access_policy\r\nprotocol_state=RCPT\r\nclient_address=::1\r\nrecipient=a=b@example.net\r\nsender=\r\n\r\n');
    expect(readPolicyRequest(request!)).toMatchObject({ recipient: 'a=b@example.net', sender: '', clientName: 'unknown' });
  });

  it.each([
    ['an over-long line', `request=smtpd_access_policy\nsender=${'a'.repeat(DEFAULT_LIMITS.maxLineBytes)}\n\n`, /line longer/],
    ['an over-long line without a newline', `sender=${'a'.repeat(DEFAULT_LIMITS.maxLineBytes + 10)}`, /line longer/],
    ['too many attributes', `${Array.from({ length: 200 }, (_, i) => `a${i}=x`).join('\n')}\n\n`, /more than 128 attributes/],
    ['too big a request', `${Array.from({ length: 100 }, (_, i) => `a${i}=${'x'.repeat(1000)}`).join('\n')}\n\n`, /request longer/],
    ['a line without =', 'request=smtpd_access_policy\nhello world\n\n', /malformed attribute/],
    ['binary junk', '\u0000\u0001\u0002=\u00ff\n\n', /malformed attribute|binary/],
    ['a NUL in a value', 'sender=a\u0000b\n\n', /binary/],
    ['an empty request', '\n', /empty request/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => parseAll(input)).toThrow(message);
  });

  it('reads 8-bit values: UTF-8 where the bytes are UTF-8, latin1 (one character per byte) where they are not', () => {
    // Postfix with smtputf8_enable = no passes an envelope address's bytes through as they came.
    const latin1 = Buffer.from('request=smtpd_access_policy\nsender=j\xfcrg@example.org\nrecipient=bob@example.net\n\n', 'latin1');
    const utf8 = Buffer.from('request=smtpd_access_policy\nsender=j\u00fcrg@example.org\nhelo_name=\u00e9t\u00e9\n\n', 'utf8');
    const mixed = Buffer.concat([Buffer.from('request=smtpd_access_policy\nhelo_name=\u00e9t\u00e9\n', 'utf8'), Buffer.from('sender=\xe9t\xe9@example.org\n\n', 'latin1')]);
    for (let split = 0; split <= latin1.length; split += 5) {
      const parser = new PolicyRequestParser();
      const [request] = [...parser.push(latin1.subarray(0, split)), ...parser.push(latin1.subarray(split))];
      expect(readPolicyRequest(request!)).toMatchObject({ sender: 'j\u00fcrg@example.org', recipient: 'bob@example.net' });
    }
    expect(readPolicyRequest(parseAllBytes(utf8)[0]!)).toMatchObject({ sender: 'j\u00fcrg@example.org', helo: '\u00e9t\u00e9' });
    expect(readPolicyRequest(parseAllBytes(mixed)[0]!)).toMatchObject({ sender: '\u00e9t\u00e9@example.org', helo: '\u00e9t\u00e9' });
    // Several requests in one chunk, only one of them with 8-bit bytes: each is read.
    expect(parseAllBytes(Buffer.concat([latin1, Buffer.from(REQUEST), latin1]))).toHaveLength(3);
  });

  it('reads a valid request Greyward does not greylist, rather than refusing it', () => {
    // smtpd_client_restrictions with smtpd_delay_reject=no: no sender, no recipient.
    const [connect] = parseAll('request=smtpd_access_policy\nprotocol_state=CONNECT\nclient_address=192.0.2.1\nsender=\nrecipient=\n\n');
    expect(readPolicyRequest(connect!)).toMatchObject({ protocolState: 'CONNECT', sender: '', recipient: '' });
    const [bare] = parseAll('request=smtpd_access_policy\n\n');
    expect(readPolicyRequest(bare!)).toMatchObject({ protocolState: '', clientAddress: '', recipient: '', clientName: 'unknown' });
    const [noClient] = parseAll('request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@b\n\n');
    expect(readPolicyRequest(noClient!)).toMatchObject({ protocolState: 'RCPT', clientAddress: '', recipient: 'a@b' });
  });

  it.each([
    ['an unknown request type', 'request=junk\nprotocol_state=RCPT\n\n'],
    ['no request type', 'protocol_state=RCPT\n\n'],
  ])('tells %s apart, without throwing', (_name, input) => {
    expect(readPolicyRequest(parseAll(input)[0]!)).toBeUndefined();
  });

  it('never throws anything but ProtocolError on random bytes, and never holds more than the limits', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
        const parser = new PolicyRequestParser();
        try {
          for (const chunk of chunks) for (const request of parser.push(Buffer.from(chunk))) readPolicyRequest(request);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads back any well-formed request it is given, split anywhere', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/);
    const value = fc.string({ maxLength: 200, unit: 'binary' }).filter((v) => !/[\n\r\0]/.test(v));
    fc.assert(
      fc.property(fc.dictionary(name, value, { minKeys: 1, maxKeys: 30 }), fc.nat(), (attributes, splitAt) => {
        const text = `${Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`;
        const bytes = Buffer.from(text);
        const cut = splitAt % (bytes.length + 1);
        const parser = new PolicyRequestParser();
        const requests = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
        expect(requests).toHaveLength(1);
        expect(Object.fromEntries(requests[0]!)).toEqual(attributes);
      }),
      { numRuns: 300 },
    );
  });
});

describe('reply', () => {
  it('ends with an empty line and cannot be split by a newline in the text', () => {
    expect(formatReply('DUNNO')).toBe('action=DUNNO\n\n');
    expect(formatReply('DEFER_IF_PERMIT 4.7.1 a\nb')).toBe('action=DEFER_IF_PERMIT 4.7.1 a b\n\n');
  });
});
