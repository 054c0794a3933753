// The Lists screen and what it refuses or shows in a second form: Debian's Chromium drives the
// real renderer through one `greyward ui` on a throw-away database. Entries that would break the
// listing (an expiry no calendar reads) are written straight into the database, as another tool
// or an older version might have; everything else goes through the screen and is checked with
// `greyward lists show`. Screenshots go to test-output/screenshots/.
//
// Needs Debian's chromium and a build (`npm run build`); without chromium the suite fails under
// CI=true and is skipped otherwise.

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../support/chromium.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';

const missing = uiPrerequisites();

describe('the Lists screen keeps bad entries out and shows every stored one', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  const shots: string[] = [];
  beforeAll(async () => {
    ui = await startUiHarness({
      async prepare(cli, db) {
        await cli('lists', 'add', 'allow', 'client-name', 'mail.straße.example', '--comment', 'partner with an IDN name');
        const raw = new Database(db);
        const insert = raw.prepare("INSERT INTO list_entries (list, kind, pattern, comment, source, created_at, expires_at) VALUES ('allow', 'client-address', ?, ?, 'other tool', 0, ?)");
        insert.run('198.51.100.1', 'expiry past any calendar', 9223372036854775807n);
        insert.run('198.51.100.2', 'expiry before any calendar', -9223372036854775808n);
        insert.run('198.51.100.3', 'expiry at the largest safe integer', Number.MAX_SAFE_INTEGER);
        raw.close();
      },
    });
  });
  afterAll(async () => {
    await ui?.stop();
    if (shots.length) process.stdout.write(`screenshots:\n${shots.map((file) => `  ${file}`).join('\n')}\n`);
  });

  it('lists entries whose stored expiry no calendar reads, and shows an IDN name in both forms', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    const grid = page.getByRole('grid', { name: 'List entries' });
    const row = (text: string) => grid.getByRole('row').filter({ hasText: text });
    await expect.poll(() => row('198.51.100.1').innerText()).toMatch(/far future/);
    await expect.poll(() => row('198.51.100.2').innerText()).toMatch(/long ago/);
    await expect.poll(() => row('198.51.100.3').innerText()).toMatch(/far future/);
    await expect.poll(() => row('xn--mail').count()).toBe(0);
    await expect.poll(() => row('mail.xn--strae-oqa.example').innerText()).toContain('mail.straße.example');
  });

  it('adds an IDN domain as punycode and says so before and after', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    const form = page.getByRole('form', { name: 'Add an entry to the allow list' });
    await form.getByLabel('Kind', { exact: true }).selectOption({ label: 'Sender domain' });
    await form.getByLabel('Entry', { exact: true }).fill('Bücher.example');
    const message = form.locator('#add-pattern-message');
    await expect.poll(() => message.innerText()).toContain('Will be stored as xn--bcher-kva.example (bücher.example)');
    shots.push(...(await shoot(page, '10-lists-idn-entry')));
    await form.getByRole('button', { name: 'Add' }).click();
    const row = page.getByRole('grid', { name: 'List entries' }).getByRole('row').filter({ hasText: 'xn--bcher-kva.example' });
    await expect.poll(() => row.innerText()).toContain('bücher.example');
    await expect.poll(() => page.getByText('Added xn--bcher-kva.example (bücher.example) to the allow list.').count()).toBe(1);
    expect((await ui.listEntries()).filter((entry) => entry.kind === 'sender-domain').map((entry) => entry.pattern)).toEqual(['xn--bcher-kva.example']);
    shots.push(...(await shoot(page, '10a-lists-idn-listed')));
  });

  it('refuses on the deny list an empty pattern and one that matches all mail, and a zoned address anywhere, with the reason', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await page.getByRole('tab', { name: 'Deny list' }).click();
    const form = page.getByRole('form', { name: 'Add an entry to the deny list' });
    const kind = form.getByLabel('Kind', { exact: true });
    const entry = form.getByLabel('Entry', { exact: true });
    const add = form.getByRole('button', { name: 'Add' });
    const message = form.locator('#add-pattern-message');
    const before = await ui.listEntries();
    for (const [label, text, reason] of [
      ['Sender pattern', '//', 'the pattern is empty'],
      ['Sender pattern', '.*', 'matches the empty string, so it matches everything: on the deny list it would reject all mail'],
      ['Recipient pattern', '@', 'matches every address: on the deny list it would reject all mail'],
      ['Client address or network', '0.0.0.0/0', 'matches every IPv4 client'],
      ['Client address or network', 'fe80::1%eth0', 'zone index'],
    ] as const) {
      await kind.selectOption({ label });
      await entry.fill(text);
      await expect.poll(() => message.innerText()).toContain(reason);
      await expect.poll(() => entry.getAttribute('aria-invalid')).toBe('true');
      await expect.poll(() => add.isDisabled()).toBe(true);
      if (text === '.*') shots.push(...(await shoot(page, '10b-lists-deny-all-refused')));
      await entry.press('Enter');
    }
    expect(await ui.listEntries()).toEqual(before);
  });

  it('shows a deny-all line of an import and a binary file as errors, and imports nothing', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await page.getByRole('tab', { name: 'Deny list' }).click();
    const before = await ui.listEntries();
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a list file' });
    await dialog.getByLabel('Into').selectOption({ label: 'the deny list' });
    await dialog.getByLabel('File', { exact: true }).setInputFiles({ name: 'whitelist_clients', mimeType: 'text/plain', buffer: Buffer.from('spam.example\n/.*/\n') });
    const errors = dialog.getByRole('alert');
    await expect.poll(() => errors.innerText()).toContain('1 line has an error');
    const cells = await errors.getByRole('row').nth(1).getByRole('cell').allInnerTexts();
    expect(cells[0]).toBe('2');
    expect(cells[2]).toContain('matches the empty string');
    shots.push(...(await shoot(page, '10c-lists-import-deny-all-refused')));

    const binary = Buffer.alloc(2048);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919 + 13) & 0xff;
    await dialog.getByLabel('File', { exact: true }).setInputFiles({ name: 'whitelist_clients.gz', mimeType: 'application/gzip', buffer: binary });
    await expect.poll(() => errors.innerText()).toContain('binary file');
    await expect.poll(() => dialog.getByRole('button', { name: /^Import/ }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await ui.listEntries()).toEqual(before);
  });
});
