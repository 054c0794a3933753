import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatListFile, parseListFile } from '../shared/list-files.js';
import type { ListKind } from '../shared/lists.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/sqlgrey/${name}`, import.meta.url));

describe("sqlgrey's whitelists", () => {
  it.each([
    ['sqlgrey-clients-ip', 'clients_ip_whitelist'],
    ['sqlgrey-clients-fqdn', 'clients_fqdn_whitelist'],
  ] as const)("Debian's %s file (%s) reads with no error", (format, name) => {
    for (const path of [fixture(name), `/etc/sqlgrey/${name}`]) {
      if (!existsSync(path)) {
        if (process.env.CI === 'true' && path.startsWith('/etc')) throw new Error(`${path} missing in CI (apt-get install sqlgrey)`);
        continue;
      }
      const { entries, errors } = parseListFile(format, readFileSync(path, 'utf8'));
      expect(errors).toEqual([]);
      expect(entries.length).toBeGreaterThan(20);
    }
  });

  it.each([
    ['sqlgrey-clients-ip', '12.5.136.141    # Southwest Airlines', 'client-address', '12.5.136.141'],
    ['sqlgrey-clients-ip', '64.12.137       # AOL (common pool)', 'client-address', '64.12.137.0/24'],
    ['sqlgrey-clients-ip', '192.0.2.0/25', 'client-address', '192.0.2.0/25'],
    ['sqlgrey-clients-ip', '2001:db8::/32', 'client-address', '2001:db8::/32'],
    ['sqlgrey-clients-ip', '2001:db8::25', 'client-address', '2001:db8::25'],
    ['sqlgrey-clients-fqdn', '*.southwest.com', 'client-name', 'southwest.com'],
    ['sqlgrey-clients-fqdn', 'isp.belgacom.be', 'client-name', 'isp.belgacom.be'],
    ['sqlgrey-clients-fqdn', '/^ms-smtp.*\\.rr\\.com$/', 'client-name-pattern', '^ms-smtp.*\\.rr\\.com$'],
  ] as const)('%s reads %j as %s %s', (format, line, kind, pattern) => {
    expect(parseListFile(format, line)).toEqual({ entries: [{ line: 1, kind, pattern, comment: expect.any(String) }], errors: [] });
  });

  it('reports each bad line with its number and still reads the good ones', () => {
    const { entries, errors } = parseListFile('sqlgrey-clients-ip', '192.0.2.1\n10.1\n300.1.2.3\nmail.example.com\n198.51.100.0/24\n');
    expect(entries.map((e) => e.pattern)).toEqual(['192.0.2.1', '198.51.100.0/24']);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(parseListFile('sqlgrey-clients-fqdn', 'good.example.com\n*.\nbad name.example\n/(a)\\1/\n').errors.map((e) => e.line)).toEqual([2, 3, 4]);
  });

  it('reads an entry written twice as one (the export writes a name and *.name)', () => {
    expect(parseListFile('sqlgrey-clients-fqdn', 'example.com\n*.example.com\n').entries).toHaveLength(1);
  });

  it('writes what it reads back to the same entries, and skips what the format cannot hold', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    const entry = fc.oneof(
      fc.tuple(label, label).map(([a, b]) => ({ kind: 'client-name' as ListKind, pattern: `${a}.${b}.example`, comment: '' })),
      fc.tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 32 })).map(([a, b, p]) => ({ kind: 'client-address' as ListKind, pattern: p === 32 ? `10.${a}.${b}.1` : `10.${a}.0.0/16`, comment: '' })),
    );
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => `${e.kind} ${e.pattern}`, maxLength: 20 }), (entries) => {
        for (const format of ['sqlgrey-clients-ip', 'sqlgrey-clients-fqdn'] as const) {
          const { text, skipped } = formatListFile(format, entries);
          const kept = entries.filter((e) => (format === 'sqlgrey-clients-ip' ? e.kind === 'client-address' : e.kind === 'client-name'));
          expect(skipped).toHaveLength(entries.length - kept.length);
          const back = parseListFile(format, text);
          expect(back.errors).toEqual([]);
          expect(back.entries.map(({ kind, pattern }) => ({ kind, pattern, comment: '' }))).toEqual(kept);
        }
      }),
      { numRuns: 100 },
    );
  });
});
