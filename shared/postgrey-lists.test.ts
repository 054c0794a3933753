import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalisePattern, type ListKind } from './lists.js';
import {
  canonicalPostgreyComment,
  formatPostgreyList,
  parsePostgreyList,
  POSTGREY_EXPORT_HEADER,
  type PostgreyFormat,
  type PostgreyListEntry,
} from './postgrey-lists.js';
import { perlRegexToRe2 } from './perl-regex.js';

// shared/ is compiled without Node's types (the layer must stay pure), so the test reaches the
// file system through untyped dynamic imports instead of `import ... from 'node:fs'`.
interface NodeFs {
  existsSync(path: string): boolean;
  readFileSync(path: string, encoding: 'utf8'): string;
}
const fs = (await import('node:fs' as string)) as NodeFs;
const { env } = (await import('node:process' as string)) as { env: Record<string, string | undefined> };
const url = (await import('node:url' as string)) as {
  fileURLToPath(url: string): string;
  URL: new (path: string, base: string) => { href: string };
};
const here = (import.meta as unknown as { url: string }).url;
const fixture = (name: string) => url.fileURLToPath(new url.URL(`../test/fixtures/postgrey/${name}`, here).href);

const withoutLines = (entries: ReadonlyArray<PostgreyListEntry & { line?: number }>): PostgreyListEntry[] =>
  entries.map(({ kind, pattern, comment }) => ({ kind, pattern, comment }));

function parseOne(format: PostgreyFormat, line: string) {
  const { entries, errors } = parsePostgreyList(format, line);
  return { entry: entries[0], error: errors[0], count: entries.length + errors.length };
}

describe("Debian's postgrey whitelists", () => {
  const clientsText = fs.readFileSync(fixture('whitelist_clients'), 'utf8');
  const recipientsText = fs.readFileSync(fixture('whitelist_recipients'), 'utf8');

  it('parses whitelist_clients with no errors', () => {
    const { entries, errors } = parsePostgreyList('postgrey-clients', clientsText);
    expect(errors).toEqual([]);
    const counts: Partial<Record<ListKind, number>> = {};
    for (const entry of entries) counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
    expect(counts).toEqual({ 'client-name': 104, 'client-name-pattern': 34, 'client-address': 26 });
    // every entry of Debian's file sits under a comment that says why it is there
    expect(entries.filter((entry) => entry.comment === '')).toEqual([]);

    const find = (pattern: string) => entries.find((entry) => entry.pattern === pattern);
    expect(find('debconf.org')).toEqual({
      line: 11,
      kind: 'client-name',
      pattern: 'debconf.org',
      comment: 'Debian-specific additions\nI *know* they run real mail queues, so greylisting only creates\nbigger load for them.',
    });
    // the comment above a run of entries applies to each of them
    expect(find('spi-inc.org')?.comment).toBe(find('debconf.org')?.comment);
    expect(find('microsoft.com')?.comment).toBe('2010-06-10: Microsoft servers (long/no retry, reported by Roy McMorran)');
    expect(find('195.235.39.0/24')).toMatchObject({ kind: 'client-address', comment: 'jcsw.nato.int (several servers, no retry, reported by Vito Robar)' });
    expect(find('2a01:4180:4051:800::/64')?.kind).toBe('client-address');
    expect(find('51.4.80.0/27')?.kind).toBe('client-address');
    expect(find('66.216.126.174')?.kind).toBe('client-address');
    expect(find('dgfip.finances.gouv.fr')?.kind).toBe('client-name'); // written with a trailing space
    expect(find('^.*?.server.arvato-systems.de$')?.kind).toBe('client-name-pattern');
    expect(find('^(?:smtp\\w*|postfix)[0-9]+-g[0-9]+\\.free\\.fr$')?.kind).toBe('client-name-pattern');
    expect(find('^s[cv]\\d+pub\\.verizon\\.net$')?.kind).toBe('client-name-pattern');
  });

  it('parses whitelist_recipients with no errors', () => {
    const { entries, errors } = parsePostgreyList('postgrey-recipients', recipientsText);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { line: 6, kind: 'recipient-user', pattern: 'postmaster@', comment: '' },
      { line: 7, kind: 'recipient-user', pattern: 'abuse@', comment: '' },
    ]);
  });

  it('round-trips through formatPostgreyList', () => {
    for (const [format, text] of [
      ['postgrey-clients', clientsText],
      ['postgrey-recipients', recipientsText],
    ] as const) {
      const parsed = parsePostgreyList(format, text).entries;
      const { text: written, skipped } = formatPostgreyList(format, parsed);
      expect(skipped).toEqual([]);
      const again = parsePostgreyList(format, written);
      expect(again.errors).toEqual([]);
      expect(withoutLines(again.entries)).toEqual(withoutLines(parsed));
    }
  });

  const installed = ['/etc/postgrey/whitelist_clients', '/etc/postgrey/whitelist_recipients'];
  const present = installed.every((path) => fs.existsSync(path));
  it.skipIf(!present && env['CI'] !== 'true')('parses the files installed in /etc/postgrey with no errors', () => {
    if (!present) throw new Error(`CI=true but ${installed.join(' or ')} is missing: install Debian's postgrey package`);
    const clients = parsePostgreyList('postgrey-clients', fs.readFileSync(installed[0]!, 'utf8'));
    const recipients = parsePostgreyList('postgrey-recipients', fs.readFileSync(installed[1]!, 'utf8'));
    expect(clients.errors).toEqual([]);
    expect(recipients.errors).toEqual([]);
    expect(clients.entries.length).toBeGreaterThan(100);
    expect(recipients.entries.length).toBeGreaterThan(0);
  });
});

describe('parsePostgreyList: entries', () => {
  it.each<[string, ListKind, string]>([
    ['/^mail\\d+\\.example\\.com$/', 'client-name-pattern', '^mail\\d+\\.example\\.com$'],
    ['/a/b/', 'client-name-pattern', 'a/b'],
    ['//a//', 'client-name-pattern', '/a/'],
    ['192.0.2.7', 'client-address', '192.0.2.7'],
    ['192.0.2.7/24', 'client-address', '192.0.2.0/24'],
    ['192.0.2.0/32', 'client-address', '192.0.2.0'],
    ['195.235.39', 'client-address', '195.235.39.0/24'],
    // postgrey 1.37 comments "/16" but passes 24 to NetAddr::IP: 10.1 means 10.1.0.0/24
    ['10.1', 'client-address', '10.1.0.0/24'],
    ['2001:DB8::1', 'client-address', '2001:db8::1'],
    ['2001:db8:0:0:1::/64', 'client-address', '2001:db8::/64'],
    ['Mail.Example.COM', 'client-name', 'mail.example.com'],
    ['  mx.example.org   ', 'client-name', 'mx.example.org'],
    ['mx.example.org # with a trailing comment', 'client-name', 'mx.example.org'],
    // a lone number is a name to postgrey (no IPv4 pattern of its matches it)
    ['42', 'client-name', '42'],
  ])('clients: %j → %s %j', (line, kind, pattern) => {
    const { entry, count } = parseOne('postgrey-clients', line);
    expect(count).toBe(1);
    expect(entry).toMatchObject({ line: 1, kind, pattern });
  });

  it.each<[string, ListKind, string]>([
    ['/^postmaster@/', 'recipient-pattern', '^postmaster@'],
    ['Postmaster@Example.com', 'recipient-address', 'postmaster@example.com'],
    ['user+tag@example.com', 'recipient-address', 'user+tag@example.com'],
    ['abuse@', 'recipient-user', 'abuse@'],
    ['Example.NET', 'recipient-domain', 'example.net'],
    ['sub.example.net # remark', 'recipient-domain', 'sub.example.net'],
  ])('recipients: %j → %s %j', (line, kind, pattern) => {
    const { entry, count } = parseOne('postgrey-recipients', line);
    expect(count).toBe(1);
    expect(entry).toMatchObject({ line: 1, kind, pattern });
  });

  it('ignores blank and comment lines, and handles CRLF', () => {
    const { entries, errors } = parsePostgreyList('postgrey-clients', '# only comments\r\n\r\n   \r\n  # indented\r\nexample.com\r\n');
    expect(errors).toEqual([]);
    expect(entries).toEqual([{ line: 5, kind: 'client-name', pattern: 'example.com', comment: 'indented' }]);
  });

  it('attaches the comment block directly above a run of entries to each entry of the run', () => {
    const text = [
      '# file header', // 1
      '', // 2
      '# first block', // 3
      '#', // 4
      '#   second line  ', // 5
      'a.example', // 6
      'b.example # own remark', // 7
      '# next', // 8
      'c.example', // 9
      '', // 10
      'd.example', // 11
      '## hashes', // 12
      'e.example', // 13
    ].join('\n');
    expect(parsePostgreyList('postgrey-clients', text).entries).toEqual([
      { line: 6, kind: 'client-name', pattern: 'a.example', comment: 'first block\nsecond line' },
      { line: 7, kind: 'client-name', pattern: 'b.example', comment: 'first block\nsecond line\nown remark' },
      { line: 9, kind: 'client-name', pattern: 'c.example', comment: 'next' },
      { line: 11, kind: 'client-name', pattern: 'd.example', comment: '' },
      { line: 13, kind: 'client-name', pattern: 'e.example', comment: '# hashes' },
    ]);
  });
});

describe('parsePostgreyList: errors', () => {
  it('reports bad lines with their line numbers while good lines still parse', () => {
    const text = [
      '# clients', // 1
      'good.example', // 2
      '300.1.2.3/24', // 3
      '/(a)\\1/', // 4
      'foo bar', // 5
      '192.0.2.0/24', // 6
      'bad!name', // 7
      '/a(?=b)/', // 8
      '/^ok\\d+$/', // 9
    ].join('\n');
    const { entries, errors } = parsePostgreyList('postgrey-clients', text);
    expect(entries.map((entry) => [entry.line, entry.kind, entry.pattern])).toEqual([
      [2, 'client-name', 'good.example'],
      [6, 'client-address', '192.0.2.0/24'],
      [9, 'client-name-pattern', '^ok\\d+$'],
    ]);
    expect(errors.map((error) => [error.line, error.text])).toEqual([
      [3, '300.1.2.3/24'],
      [4, '/(a)\\1/'],
      [5, 'foo bar'],
      [7, 'bad!name'],
      [8, '/a(?=b)/'],
    ]);
    expect(errors[0]!.message).toMatch(/not an IPv4 or IPv6 address/);
    expect(errors[1]!.message).toMatch(/RE2 cannot express the backreference \\1/);
    expect(errors[2]!.message).toMatch(/whitespace/);
    expect(errors[3]!.message).toMatch(/not a valid domain or hostname/);
    expect(errors[4]!.message).toMatch(/RE2 cannot express lookahead/);
  });

  it.each<[PostgreyFormat, string, RegExp]>([
    ['postgrey-clients', '1.2.3.4/33', /prefix length/],
    ['postgrey-clients', '1.2.3/24', /not an IPv4 or IPv6 address/],
    ['postgrey-clients', '300.1.2', /partial IPv4 address that postgrey reads as 300\.1\.2\.0\/24/],
    ['postgrey-clients', '010.1.2.3', /leading zero/],
    ['postgrey-clients', '2001:db8::zz', /not an IPv4 or IPv6 address/],
    ['postgrey-clients', '.example.com', /leading or trailing dot/],
    ['postgrey-clients', 'example.com.', /leading or trailing dot/],
    ['postgrey-clients', '*.example.com', /no wildcards/],
    ['postgrey-clients', '/a#b/', /comment at "#", even inside a \/regex\//],
    ['postgrey-clients', '/a++/', /RE2 cannot express a possessive quantifier/],
    ['postgrey-clients', '/(?<=a)b/', /RE2 cannot express lookbehind/],
    ['postgrey-clients', '/(?>a)/', /RE2 cannot express an atomic group/],
    ['postgrey-clients', '/\\Qa.b\\E/', /letters Q and E/],
    ['postgrey-clients', '/a(/', /not a valid RE2 regular expression/],
    ['postgrey-clients', `/${'a'.repeat(600)}/`, /longer than 512/],
    ['postgrey-recipients', '@example.org', /empty user name at example\.org/],
    ['postgrey-recipients', '@', /empty user name/],
    ['postgrey-recipients', 'a@b@c', /not a valid e-mail address/],
    ['postgrey-recipients', 'user@.example.com', /leading or trailing dot/],
    ['postgrey-recipients', 'a b@example.com', /whitespace/],
    ['postgrey-recipients', '/(x)\\1/', /RE2 cannot express the backreference/],
    ['postgrey-recipients', 'exa_mple!.com', /not a valid domain/],
  ])('%s: %j is an error', (format, line, message) => {
    const { entries, errors } = parsePostgreyList(format, `ok.example\n${line}\n`);
    expect(entries).toHaveLength(1);
    expect(errors).toEqual([{ line: 2, text: line, message: expect.stringMatching(message) }]);
  });

  it('never throws, and gives each non-comment line one entry or one error', () => {
    fc.assert(
      fc.property(fc.constantFrom<PostgreyFormat>('postgrey-clients', 'postgrey-recipients'), fc.string({ unit: 'binary', maxLength: 300 }), (format, text) => {
        const { entries, errors } = parsePostgreyList(format, text);
        const meaningful = text.split(/\r\n|\r|\n/).filter((line) => line.split('#')[0]!.trim() !== '').length;
        expect(entries.length + errors.length).toBe(meaningful);
      }),
    );
  });
});

describe('perlRegexToRe2', () => {
  it.each([
    ['^mail\\d+\\.example\\.com$', '^mail\\d+\\.example\\.com$'],
    ['^(?:smtp\\w*|postfix)[0-9]+$', '^(?:smtp\\w*|postfix)[0-9]+$'],
    ['^.*?x$', '^.*?x$'],
    ['a\\Z', 'a\\z'],
    ['(?^:a)', '(?-ims:a)'],
    ['(?^i:a)', '(?i-ms:a)'],
    ['(?x)a(?xi:b)', 'a(?i:b)'],
    ['a{,3}', 'a{0,3}'],
    ['a{2,}?b{3}', 'a{2,}?b{3}'],
    ['a{b', 'a\\{b'],
    ['\\e\\cA\\o{101}', '\\x1B\\x{1}\\x{41}'],
    ['a\\hb', 'a[\\t\\x20\\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}]b'],
    ['[\\b]', '[\\x08]'],
    ['[]a]\\x{41}{2}', '[]a]\\x{41}{2}'],
    ['[[:alpha:]]+', '[[:alpha:]]+'],
    ["(?'n'a)", '(?<n>a)'],
  ])('%j → %j', (perl, re2) => {
    expect(perlRegexToRe2(perl)).toBe(re2);
  });

  it.each(['(a)\\1', '\\g1', '\\k<n>', 'a(?!b)', '(?<!a)b', '(?>a)', 'a*+', 'a{2}+', '(?|a)', '(?(1)a)', '(?R)', '(?1)', '\\K', '\\G', '(?U)a'])(
    '%j is refused',
    (perl) => {
      expect(() => perlRegexToRe2(perl)).toThrow(/RE2 cannot express|no such flag/);
    },
  );
});

describe('formatPostgreyList', () => {
  it('writes a header, comment blocks above runs of entries, and skips what the format cannot express', () => {
    const { text, skipped } = formatPostgreyList('postgrey-clients', [
      { kind: 'client-name', pattern: 'a.example', comment: 'pool\nof two' },
      { kind: 'client-name', pattern: 'b.example', comment: 'pool\nof two' },
      { kind: 'sender-domain', pattern: 'example.org', comment: '' },
      { kind: 'client-address', pattern: '192.0.2.0/24', comment: '' },
      { kind: 'client-name-pattern', pattern: '^mx\\d+\\.example$', comment: 'regex' },
      { kind: 'client-name-pattern', pattern: 'a b', comment: '' },
      { kind: 'client-name-pattern', pattern: 'a#b', comment: '' },
      { kind: 'client-name-pattern', pattern: '\\Qa.b\\E', comment: '' },
      { kind: 'client-name-pattern', pattern: 'a\\vb', comment: '' },
      { kind: 'client-name', pattern: '10.1.2', comment: '' },
      { kind: 'client-name', pattern: 'not a name', comment: '' },
    ]);
    expect(text).toBe(
      [
        POSTGREY_EXPORT_HEADER,
        '',
        '# pool',
        '# of two',
        'a.example',
        'b.example',
        '',
        '192.0.2.0/24',
        '',
        '# regex',
        '/^mx\\d+\\.example$/',
        '',
      ].join('\n'),
    );
    expect(skipped.map((entry) => [entry.index, entry.reason])).toEqual([
      [2, expect.stringMatching(/whitelist_clients cannot express sender-domain/)],
      [5, expect.stringMatching(/whitespace/)],
      [6, expect.stringMatching(/"#"/)],
      [7, expect.stringMatching(/Perl would read/)],
      [8, expect.stringMatching(/Perl would read/)],
      [9, expect.stringMatching(/as an IPv4 address/)],
      [10, expect.stringMatching(/not a valid domain/)],
    ]);
  });

  it('writes recipients and skips client kinds', () => {
    const { text, skipped } = formatPostgreyList('postgrey-recipients', [
      { kind: 'recipient-user', pattern: 'postmaster@', comment: '' },
      { kind: 'recipient-address', pattern: 'a#b@example.com', comment: '' },
      { kind: 'client-name', pattern: 'example.com', comment: '' },
    ]);
    expect(text).toBe(`${POSTGREY_EXPORT_HEADER}\n\npostmaster@\n`);
    expect(skipped.map((entry) => entry.index)).toEqual([1, 2]);
  });

  it('writes only the header for no entries', () => {
    expect(formatPostgreyList('postgrey-clients', [])).toEqual({ text: `${POSTGREY_EXPORT_HEADER}\n`, skipped: [] });
  });
});

describe('round trip (property)', () => {
  const comment = fc
    .array(fc.string({ unit: 'binary', maxLength: 20 }).filter((line) => !/[\r\n]/.test(line)), { maxLength: 3 })
    .map((lines) => canonicalPostgreyComment(lines.join('\n')));
  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`);
  const ipv6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([address, prefix]) => `${address}/${prefix}`);
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
  const hostname = fc
    .array(label, { minLength: 1, maxLength: 4 })
    .map((labels) => labels.join('.'))
    .filter((name) => !/^\d{1,3}(?:\.\d{1,3}){1,3}$/.test(name)); // postgrey reads those as IPv4
  const local = fc.stringMatching(/^[a-z0-9._%+-]{1,12}$/);
  // small RE2 regexes that Perl reads the same way: atoms, classes, groups, quantifiers, anchors
  const atom = fc.oneof(
    fc.constantFrom('a', 'x', '7', '\\.', '\\d', '\\w', '\\s', '[a-z]', '[^0-9]', '[[:alpha:]]', '.', '-', '_', '@', '/', '\\b', '\\x{41}', '\\pL'),
    fc.stringMatching(/^[a-z0-9]{1,5}$/),
  );
  const quantified = fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '*?', '+?', '{2}', '{1,3}', '{2,}')).map(([a, q]) => a + q);
  const sequence = fc.array(quantified, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
  const regex = fc
    .tuple(
      fc.constantFrom('', '^', '(?i)'),
      fc.array(sequence, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      fc.constantFrom('', '$', '\\z'),
    )
    .map(([start, alternatives, group, end]) => {
      const body = alternatives.join('|');
      return `${start}${group || alternatives.length > 1 ? `(?:${body})` : body}${end}`;
    });

  const entry = (kind: ListKind, pattern: fc.Arbitrary<string>) =>
    fc.record({
      kind: fc.constant(kind),
      pattern: pattern.filter((p) => isValid(kind, p)).map((p) => normalisePattern(kind, p)),
      comment,
    });
  const clientEntry = fc.oneof(entry('client-address', ipv4), entry('client-address', ipv6), entry('client-name', hostname), entry('client-name-pattern', regex));
  const recipientEntry = fc.oneof(
    entry('recipient-address', fc.tuple(local, hostname).map(([l, h]) => `${l}@${h}`)),
    entry('recipient-user', local.map((l) => `${l}@`)),
    entry('recipient-domain', hostname),
    entry('recipient-pattern', regex),
  );

  for (const [format, arbitrary] of [
    ['postgrey-clients', clientEntry],
    ['postgrey-recipients', recipientEntry],
  ] as const) {
    it(`${format}: parse(format(entries)) gives back the entries`, () => {
      fc.assert(
        fc.property(fc.array(arbitrary, { maxLength: 12 }), (entries) => {
          const { text, skipped } = formatPostgreyList(format, entries);
          expect(skipped).toEqual([]);
          expect(text.startsWith(`${POSTGREY_EXPORT_HEADER}\n`)).toBe(true);
          const parsed = parsePostgreyList(format, text);
          expect(parsed.errors).toEqual([]);
          expect(withoutLines(parsed.entries)).toEqual(entries);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('entries of every kind: what is written reads back, the rest is reported as skipped', () => {
    const any = fc.oneof(
      clientEntry,
      recipientEntry,
      entry('sender-domain', hostname),
      entry('client-name-pattern', fc.string({ minLength: 1, maxLength: 12 }).filter((source) => isValid('client-name-pattern', source))),
    );
    fc.assert(
      fc.property(fc.constantFrom<PostgreyFormat>('postgrey-clients', 'postgrey-recipients'), fc.array(any, { maxLength: 12 }), (format, entries) => {
        const { text, skipped } = formatPostgreyList(format, entries);
        const skippedIndexes = new Set(skipped.map((entry) => entry.index));
        const parsed = parsePostgreyList(format, text);
        expect(parsed.errors).toEqual([]);
        expect(withoutLines(parsed.entries)).toEqual(entries.filter((_, index) => !skippedIndexes.has(index)));
      }),
      { numRuns: 300 },
    );
  });
});

function isValid(kind: ListKind, source: string): boolean {
  try {
    normalisePattern(kind, source);
    return true;
  } catch {
    return false;
  }
}
