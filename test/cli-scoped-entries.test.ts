import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListEntry } from '../shared/lists.js';
import { greyward } from './support/greyward-process.js';
import { tempDirs } from './support/temp-dirs.js';

const tempDir = tempDirs('greyward-cli-scoped-');

const show = async (db: string): Promise<ListEntry[]> => JSON.parse((await greyward('lists', 'show', '--db', db, '--json')).stdout);
const scoped = async (db: string) => (await show(db)).filter((entry) => entry.kind === 'sender-domain-scoped');
const check = async (db: string, clientAddress: string, clientName: string, sender: string) =>
  JSON.parse((await greyward('check', '--db', db, '--client-address', clientAddress, '--client-name', clientName, '--sender', sender, '--recipient', 'sales@greyward.test', '--json')).stdout) as { action: string; rule: string };

describe('sender-domain-scoped entries on the command line', { timeout: 60_000 }, () => {
  it('adds, shows, checks and edits a sender domain from given clients', async () => {
    const db = join(tempDir(), 'g.db');
    const added = await greyward('lists', 'add', 'allow', 'sender-domain-scoped', 'CloudMail.example VIA outbound.cloudmail.example.', '--comment', 'provider pool', '--db', db);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toBe('added to the allow list\n');
    const [entry] = await scoped(db);
    expect(entry).toMatchObject({ list: 'allow', kind: 'sender-domain-scoped', pattern: 'cloudmail.example via outbound.cloudmail.example', comment: 'provider pool', source: 'cli' });
    expect((await greyward('lists', 'show', '--db', db)).stdout).toMatch(/^\d+\s+allow\s+sender-domain-scoped\s+cloudmail\.example via outbound\.cloudmail\.example\s+0\s+-\s+-\s+provider pool$/m);

    expect(await check(db, '198.51.100.7', 'mta-4.outbound.cloudmail.example', 'billing@cloudmail.example')).toMatchObject({
      action: 'allow',
      rule: `allow sender-domain-scoped cloudmail.example via outbound.cloudmail.example (#${entry!.id})`,
    });
    expect((await check(db, '198.51.100.7', 'evil-outbound.cloudmail.example', 'billing@cloudmail.example')).action).toBe('defer');
    expect((await check(db, '198.51.100.7', 'mta-4.outbound.cloudmail.example', 'someone@elsewhere.example')).action).toBe('defer');

    const edited = await greyward('lists', 'edit', String(entry!.id), '--pattern', 'cloudmail.example from 198.51.100.0/22,203.0.113.0/24', '--db', db);
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect((await scoped(db))[0]).toMatchObject({ id: entry!.id, pattern: 'cloudmail.example from 198.51.100.0/22, 203.0.113.0/24', comment: 'provider pool' });
    expect((await check(db, '198.51.103.9', 'unknown', 'billing@cloudmail.example')).action).toBe('allow');
    expect((await check(db, '198.51.104.9', 'unknown', 'billing@cloudmail.example')).action).toBe('defer');
  });

  it.each([
    [['cloudmail.example'], /a sender-domain-scoped entry says from which clients: write "cloudmail\.example from 192\.0\.2\.0\/24"/],
    [['cloudmail.example from 192.0.2.0/33'], /the prefix length must be a number from 0 to 32/],
    [['cloudmail.example from 0.0.0.0/0'], /every IPv4 client/],
    [['cloudmail.example via com'], /"com" is a public suffix/],
  ])('refuses %j with a clear error and adds nothing', async ([pattern], message) => {
    const db = join(tempDir(), 'g.db');
    const result = await greyward('lists', 'add', 'allow', 'sender-domain-scoped', pattern!, '--db', db);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(await scoped(db)).toEqual([]);
    await greyward('lists', 'add', 'allow', 'sender-domain-scoped', 'cloudmail.example from 192.0.2.0/24', '--db', db);
    const [entry] = await scoped(db);
    const edit = await greyward('lists', 'edit', String(entry!.id), '--pattern', pattern!, '--db', db);
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toMatch(message);
    expect((await scoped(db))[0]!.pattern).toBe('cloudmail.example from 192.0.2.0/24');
  });

  it('explains the syntax in the help of lists add', async () => {
    const help = (await greyward('lists', 'add', '--help')).stdout;
    expect(help).toMatch(/sender-domain-scoped\s+sender domain \(and its subdomains\) from given clients only: "cloudmail\.example from 192\.0\.2\.0\/24, 198\.51\.100\.0\/22" \(client networks\) or "cloudmail\.example via outbound\.cloudmail\.example"/);
  });

  it('export leaves it out of a whitelist file, saying why; import refuses such a line, saying how to add it', async () => {
    const dir = tempDir();
    const db = join(dir, 'g.db');
    await greyward('lists', 'add', 'allow', 'client-name', 'mx.partner.example', '--db', db);
    await greyward('lists', 'add', 'allow', 'sender-domain-scoped', 'cloudmail.example via outbound.cloudmail.example', '--db', db);
    const file = join(dir, 'whitelist_clients');
    const exported = await greyward('lists', 'export', file, '--format', 'postgrey-clients', '--db', db);
    expect(exported.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^mx\.partner\.example$/m);
    expect(readFileSync(file, 'utf8')).not.toContain('cloudmail');
    // The two recipient-user entries a new database starts with cannot be written there either.
    expect(exported.stderr).toBe(
      "3 entries were left out: postgrey's whitelist_clients cannot express recipient-user entries; postgrey's whitelist_clients cannot express sender-domain-scoped entries (a sender domain from given clients)\n",
    );

    const db2 = join(dir, 'g2.db');
    for (const format of ['postgrey-clients', 'postgrey-recipients', 'sqlgrey-clients-fqdn', 'sqlgrey-clients-ip']) {
      writeFileSync(file, '# providers\nmx.partner.example\ncloudmail.example via outbound.cloudmail.example\n');
      const imported = await greyward('lists', 'import', file, '--format', format, '--db', db2);
      expect(imported.code, format).not.toBe(0);
      expect(imported.stderr).toContain(
        `${file}:3: postgrey and sqlgrey whitelists cannot express a sender domain from given clients; add it with: greyward lists add allow sender-domain-scoped "cloudmail.example via outbound.cloudmail.example": cloudmail.example via outbound.cloudmail.example`,
      );
      expect(await scoped(db2)).toEqual([]);
    }
  });
});
