import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeDatabaseUrl, isDatabaseUrl, pgpassPassword } from './pg-connection.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pgpass(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-pgpass-'));
  dirs.push(dir);
  const file = join(dir, '.pgpass');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe('PostgreSQL URLs and credentials', () => {
  it('tells a URL from a file path, and never shows the password', () => {
    expect(isDatabaseUrl('postgres://db.example.net/greyward')).toBe(true);
    expect(isDatabaseUrl('postgresql://db.example.net/greyward')).toBe(true);
    expect(isDatabaseUrl('/var/lib/greyward/greyward.db')).toBe(false);
    expect(describeDatabaseUrl('postgres://greyward:s3cret@db.example.net:5432/greyward?sslmode=verify-full')).toBe(
      'postgres://greyward:***@db.example.net:5432/greyward?sslmode=verify-full',
    );
  });

  it("takes the password from ~/.pgpass as libpq does: first matching line, * for any, \\: for a colon, ignored when others can read it", () => {
    const url = new URL('postgres://greyward@db.example.net:5432/greyward');
    const file = pgpass(
      ['# comment', 'other.example.net:5432:greyward:greyward:wrong', 'db.example.net:*:greyward:greyward:pa\\:ss', 'db.example.net:5432:*:*:later'].join('\n'),
    );
    expect(pgpassPassword(url, { PGPASSFILE: file })).toBe('pa:ss');
    expect(pgpassPassword(new URL('postgres://admin@db.example.net/other'), { PGPASSFILE: file })).toBe('later');
    expect(pgpassPassword(new URL('postgres://admin@elsewhere.example.net/other'), { PGPASSFILE: file })).toBeUndefined();
    expect(pgpassPassword(url, { PGPASSFILE: pgpass('db.example.net:5432:greyward:greyward:open', 0o644) })).toBeUndefined();
  });
});
