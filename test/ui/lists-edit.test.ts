// Editing and reading the screens as an administrator does: a list entry edited in place (and
// the filter matching the edit), addresses in address order, an import that ends the dialog,
// validation messages in the settings' own units, and the Trace simulator's command readable
// beside its Copy button. Debian's Chromium drives the real renderer through one `greyward ui`
// on a throw-away database; what was stored is checked with the command line, what the filter
// does with real policy requests. Screenshots go to test-output/screenshots/.
//
// Needs Debian's chromium and a build (`npm run build`); without chromium the suite fails under
// CI=true and is skipped otherwise.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../support/chromium.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';

const missing = uiPrerequisites();
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;

/** Polls up to 10 s: the machine running these suites is shared. */
const eventually = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 10_000, interval: 50 });

describe('the screens read and edit as an administrator expects', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  const shots: string[] = [];
  beforeAll(async () => {
    ui = await startUiHarness({
      settings: { autoAllowAfter: '0' },
      async prepare(cli) {
        for (const pattern of ['192.0.2.10', '2001:db8::10', '192.0.2.9', '10.0.0.0/8', '2001:db8::9', '192.0.2.0/24', '9.9.9.9']) {
          await cli('lists', 'add', 'allow', 'client-address', pattern, '--comment', 'partner');
        }
        await cli('lists', 'add', 'allow', 'client-address', '203.0.113.5', '--comment', 'old relay', '--expires', '7d');
      },
    });
  }, 60_000);
  afterAll(async () => {
    await ui?.stop();
    if (shots.length) process.stdout.write(`screenshots:\n${shots.map((file) => `  ${file}`).join('\n')}\n`);
  });

  const grid = (page: Page) => page.getByRole('grid', { name: 'List entries' });
  const row = (page: Page, text: string) => grid(page).getByRole('row').filter({ hasText: text });

  it('Lists: client addresses and networks in address order, IPv4 before IPv6', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await page.getByLabel('Show entries of kind').selectOption({ label: 'Client address or network (8)' });
    await eventually(() => grid(page).getByRole('row').count()).toBe(1 + 8);
    const patterns = await grid(page).locator('.vrow > :nth-child(3)').allInnerTexts();
    expect(patterns).toEqual(['9.9.9.9', '10.0.0.0/8', '192.0.2.0/24', '192.0.2.9', '192.0.2.10', '203.0.113.5', '2001:db8::9', '2001:db8::10']);
    await page.close();
  });

  it('Lists: edits an entry in place, checked as the add form checks, and the filter matches the edit', { timeout: 90_000 }, async () => {
    // The entry counts a hit first, which the edit keeps.
    expect(await ui.ask({ client_address: '203.0.113.5' })).toBe('DUNNO');
    await eventually(async () => (await ui.listEntries()).find((entry) => entry.pattern === '203.0.113.5')).toMatchObject({ hits: 1 });
    const before = (await ui.listEntries()).find((entry) => entry.pattern === '203.0.113.5')!;
    expect(await ui.ask({ client_address: '198.51.100.7', sender: 'first@partner.example' })).toMatch(/^DEFER_IF_PERMIT/);

    for (const size of SIZES) {
      const page = await ui.newPage();
      await page.setViewportSize(size);
      await openScreen(page, 'Lists');
      await row(page, '203.0.113.5').getByRole('button', { name: 'Edit 203.0.113.5' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit an entry of the allow list' });
      await expect.poll(() => dialog.getByLabel('Entry', { exact: true }).inputValue()).toBe('203.0.113.5');
      expect(await dialog.getByLabel('Comment', { exact: true }).inputValue()).toBe('old relay');
      shots.push(...(await shoot(page, `${size.width}x${size.height}-lists-edit-entry`)));
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.close();
    }

    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await row(page, '203.0.113.5').getByRole('button', { name: 'Edit 203.0.113.5' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit an entry of the allow list' });
    const pattern = dialog.getByLabel('Entry', { exact: true });
    const save = dialog.getByRole('button', { name: 'Save' });
    const message = dialog.locator('#edit-pattern-message');
    await expect.poll(() => dialog.getByLabel('Kind', { exact: true }).inputValue()).toBe('Client address or network');
    expect(await dialog.getByLabel('Expires', { exact: true }).locator('option:checked').innerText()).toMatch(/^Keep: /);

    // The add form's checks, as they are typed.
    await pattern.fill('198.51.100.0/33');
    await expect.poll(() => message.innerText()).toContain('the prefix length must be a number from 0 to 32');
    await expect.poll(() => save.isDisabled()).toBe(true);
    // What only the database knows: another entry has this pattern.
    await pattern.fill('192.0.2.9');
    await save.click();
    const taken = (await ui.listEntries()).find((entry) => entry.pattern === '192.0.2.9')!;
    await dialog.getByRole('alert').getByText(`192.0.2.9 is already on the allow list (entry ${taken.id})`).waitFor();

    await pattern.fill(' 198.51.100.9/24 ');
    await expect.poll(() => message.innerText()).toContain('Will be stored as 198.51.100.0/24');
    await dialog.getByLabel('Comment', { exact: true }).fill('the relay moved to the partner network');
    await dialog.getByLabel('Expires', { exact: true }).selectOption({ label: 'Never' });
    await save.click();
    const savedAt = Date.now();
    await eventually(() => dialog.count()).toBe(0);
    await page.getByText('Saved 198.51.100.0/24 on the allow list.').waitFor();
    await expect.poll(() => row(page, '198.51.100.0/24').innerText()).toMatch(/the relay moved to the partner network[\s\S]*cli[\s\S]*never/);
    expect(await row(page, '203.0.113.5').count()).toBe(0);
    const after = (await ui.listEntries()).find((entry) => entry.id === before.id);
    expect(after).toEqual({ ...before, pattern: '198.51.100.0/24', comment: 'the relay moved to the partner network', expiresAt: null });

    // The filter reads the change like any list change: the next retry from the new network passes.
    await expect.poll(() => ui.ask({ client_address: '198.51.100.7', sender: 'first@partner.example' }), { timeout: 5000, interval: 25 }).toBe('DUNNO');
    process.stdout.write(`the filter applied the edit ${Date.now() - savedAt} ms after Save\n`);
    expect(await ui.ask({ client_address: '203.0.113.5', sender: 'new@old-relay.example' })).toMatch(/^DEFER_IF_PERMIT/);
    await page.close();
  });

  it('Lists: an entry edited from the command line shows on the open screen by itself, its comment too', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await row(page, '9.9.9.9').waitFor();
    const { id } = (await ui.listEntries()).find((entry) => entry.pattern === '9.9.9.9')!;
    await ui.cli('lists', 'edit', String(id), '--comment', 'resolver, noted from the shell');
    await eventually(() => row(page, '9.9.9.9').innerText()).toContain('resolver, noted from the shell');
    await page.close();
  });

  it('Lists: a successful import closes its dialog and says what it added, in the right number', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a list file' });
    await dialog.getByLabel("…or paste the file's text").fill('# the new backup MX\n192.0.2.77\n');
    await dialog.getByText('1 entry read.').waitFor();
    await dialog.getByRole('button', { name: 'Import 1 entry into the allow list' }).click();
    await eventually(() => dialog.count()).toBe(0);
    await page.getByText('Imported 1 entry into the allow list (0 already there).').waitFor();
    await expect.poll(() => row(page, '192.0.2.77').innerText()).toContain('the new backup MX');
    await page.close();
  });

  it('Policy: a value out of bounds is refused in the setting\'s unit', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Policy');
    const field = (label: RegExp) => page.locator('.setting').filter({ has: page.getByLabel(label) });
    await page.getByLabel(/^Delay before a retry passes/).fill('8d');
    await field(/^Delay before a retry passes/).getByText('8d is too long: at most 7d').waitFor();
    await page.getByLabel(/^Retry window/).fill('30s');
    await field(/^Retry window/).getByText('30s is too short: at least 1m').waitFor();
    await page.getByLabel(/^Auto-allow a client after/).fill('1001');
    await field(/^Auto-allow a client after/).getByText('1001 is too many: at most 1000').waitFor();
    expect(await page.getByText(/Too big|Too small|expected number/).count()).toBe(0);
    shots.push(...(await shoot(page, 'policy-bounds-in-units')));
    await page.close();
  });

  it('Trace: the Copy button sits beside the command, not over it, at 1024 x 700 and 1440 x 900', { timeout: 60_000 }, async () => {
    for (const size of SIZES) {
      const page = await ui.newPage();
      await page.setViewportSize(size);
      await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Trace', exact: true }).click();
      const simulator = page.getByRole('region', { name: 'Simulator' });
      await simulator.getByLabel(/^Client address/).fill('198.51.100.23');
      await simulator.getByLabel(/^Client name/).fill('mail.a-rather-long-hostname-of-the-sending-provider.example');
      await simulator.getByLabel(/^Sender/).fill('newsletter-bounces+x@a-rather-long-domain.example');
      await simulator.getByLabel(/^Recipient/).fill('someone@greyward.test');
      await simulator.getByRole('button', { name: 'Ask the filter' }).click();
      const command = simulator.getByLabel('greyward check command line');
      await command.waitFor();
      const overlap = await command.evaluate((pre) => {
        const button = pre.parentElement!.querySelector('button')!.getBoundingClientRect();
        const range = pre.ownerDocument.createRange();
        range.selectNodeContents(pre);
        // Every line box of the command's text, as far as the block shows it (a long line scrolls).
        const shown = pre.getBoundingClientRect();
        return [...range.getClientRects()].some((line) => {
          const left = Math.max(line.left, shown.left);
          const right = Math.min(line.right, shown.right);
          const top = Math.max(line.top, shown.top);
          const bottom = Math.min(line.bottom, shown.bottom);
          return left < right && top < bottom && right > button.left && left < button.right && bottom > button.top && top < button.bottom;
        });
      });
      expect(overlap, `${size.width}x${size.height}`).toBe(false);
      shots.push(...(await shoot(page, `${size.width}x${size.height}-trace-copy-command`, { wholeScreen: true })));
      await page.close();
    }
  });
});
