// The admin screens end to end: Debian's Chromium drives the real renderer through the browser
// host of one `greyward ui`, which supervises a real filter on a real database. Every mail
// event is a real policy request sent to the filter's TCP port; every check is what an
// administrator (or Postfix) would notice: a row on the screen, a message, the filter's reply,
// `greyward lists show`.
//
// One `greyward ui` for the whole file; each test uses its own client networks and senders, so
// the tests do not see each other's data. They run in order: the delay test changes the delay
// for the tests after it, none of which depends on it.
//
// Needs Debian's chromium and a build (`npm run build`); without chromium the suite fails under
// CI=true and is skipped otherwise.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRow, openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites();
const DEFER = /^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in (\d+) seconds$/;

describe('the admin screens against the real filter and database', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  beforeAll(async () => {
    // One pass must not auto-allow a client network behind a test's back.
    ui = await startUiHarness({ settings: { autoAllowAfter: '0' } });
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('shows a deferred sender in the live view within a second of the filter deferring it', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Live deferrals');
    await page.getByText('No deferrals yet').waitFor();

    const sender = 'newsletter@first-contact.example';
    const reply = await ui.ask({ client_address: '198.51.100.23', client_name: 'mx1.first-contact.example', sender, recipient: 'alice@greyward.test' });
    const answered = Date.now();
    expect(reply, ui.debug()).toMatch(DEFER);

    const row = liveRow(page, sender);
    await expect.poll(() => row.count(), { timeout: 1000, interval: 20 }).toBe(1);
    const shownAfterMs = Date.now() - answered;
    expect(shownAfterMs).toBeLessThan(1000);

    // The row says who, to whom, which attempt, and when a retry would pass (delay 300 s).
    const cells = await row.locator(':scope > span').allInnerTexts();
    expect(cells.slice(1, 5)).toEqual(['198.51.100.23 mx1.first-contact.example', sender, 'alice@greyward.test', '1']);
    expect(cells[5]).toMatch(/^passes in (5m|4m 5\ds)$/);
    await page.getByText('1 held back, 0 passed since').waitFor();

    // Selecting it opens the detail panel with its triplet's history.
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Selected attempt' });
    await detail.getByRole('heading', { name: 'Deferred attempt' }).waitFor();
    await expect.poll(() => detail.innerText()).toContain(sender);
    await expect.poll(() => detail.innerText()).toContain('HELO mail.example.com');
    await detail.getByRole('heading', { name: /^Triplet #\d+$/ }).waitFor();
    await page.close();
  });

  it('"Allow the client network" from the live view, once confirmed, lets the next attempt of that client pass (DUNNO)', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Live deferrals');
    const client = { client_address: '203.0.113.45', client_name: 'out.pool.allow-me.example' };
    const mail = { ...client, sender: 'billing@allow-me.example', recipient: 'bob@greyward.test' };
    expect(await ui.ask(mail), ui.debug()).toMatch(DEFER);

    await liveRow(page, mail.sender).click();
    const detail = page.getByRole('complementary', { name: 'Selected attempt' });
    await detail.getByRole('button', { name: /^Allow the client network/ }).click();

    // The confirm step names the list, the entry (the client's /24, as the filter groups clients) and its effect.
    const dialog = page.getByRole('dialog', { name: 'Allow the client network?' });
    await dialog.waitFor();
    await expect.poll(() => dialog.getByLabel(/^Entry/).inputValue()).toBe('203.0.113.0/24');
    await expect.poll(() => dialog.innerText()).toContain('Matching mail is accepted without greylisting');
    // Nothing has changed before the administrator confirms.
    expect((await ui.listEntries()).filter((entry) => entry.pattern === '203.0.113.0/24')).toEqual([]);

    await dialog.getByRole('button', { name: 'Add to the allow list' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const confirmed = Date.now();
    await page.getByRole('status').filter({ hasText: 'Added client-address 203.0.113.0/24 to the allow list.' }).waitFor();

    // "The filter applies it within a second": probe with other hosts of the network (new
    // senders, so the deferred triplet itself is not touched) until the filter lets one through.
    let probe = 0;
    await expect
      .poll(() => ui.ask({ client_address: `203.0.113.${100 + (probe % 50)}`, sender: `probe${probe++}@elsewhere.example`, recipient: 'carol@greyward.test' }), {
        timeout: 1500,
        interval: 100,
      })
      .toBe('DUNNO');
    expect(Date.now() - confirmed).toBeLessThan(1500);

    // The deferred sender's next attempt passes, without waiting for the delay.
    expect(await ui.ask(mail)).toBe('DUNNO');
    const entries = (await ui.listEntries()).filter((entry) => entry.pattern === '203.0.113.0/24');
    expect(entries).toEqual([expect.objectContaining({ list: 'allow', kind: 'client-address', source: 'ui:live' })]);
    expect(entries[0]!.comment).toContain('billing@allow-me.example');
    await page.close();
  });

  it('a delay saved on the Policy screen is used by the filter for the next new triplet', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Policy');
    expect(await ui.ask({ client_address: '198.51.100.60', sender: 'before@delay.example' })).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');

    const delay = page.getByLabel(/^Delay before a retry passes/);
    await expect.poll(() => delay.inputValue()).toBe('5m');
    await delay.fill('17s');
    await page.getByText('= 17 seconds').waitFor();
    const save = page.getByRole('region', { name: 'Save changes' });
    await expect.poll(() => save.innerText()).toContain('1 unsaved change');
    await save.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved delay = 17s.' }).waitFor();
    const saved = Date.now();
    await expect.poll(() => save.innerText()).toContain('No unsaved changes');
    // The reply preview on the screen is what the filter now says.
    await page.getByText('The filter answers Postfix: DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 17 seconds').waitFor();

    // New triplets only (one per probe): the first reply with the new delay must come within a second or so.
    let probe = 0;
    await expect
      .poll(() => ui.ask({ client_address: '198.51.100.61', sender: `after${probe++}@delay.example` }), { timeout: 1500, interval: 100 })
      .toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 17 seconds');
    expect(Date.now() - saved).toBeLessThan(1500);
    expect(await ui.ask({ client_address: '198.51.100.62', sender: 'next@delay.example' })).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 17 seconds');
    expect(await ui.cli('settings', 'show')).toMatch(/delay\s+17s/);

    // The screen shows the saved value after a reload too.
    await page.reload();
    await openScreen(page, 'Policy');
    await expect.poll(() => page.getByLabel(/^Delay before a retry passes/).inputValue()).toBe('17s');
    await page.close();
  });

  it('refuses an invalid CIDR on the Lists screen with a message, and adds nothing', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    await expect.poll(() => page.getByRole('tab', { name: 'Allow list' }).getAttribute('aria-selected')).toBe('true');
    const before = await ui.listEntries();
    const form = page.getByRole('form', { name: 'Add an entry to the allow list' });
    await form.getByLabel('Kind', { exact: true }).selectOption({ label: 'Client address or network' });
    const entry = form.getByLabel('Entry', { exact: true });
    const add = form.getByRole('button', { name: 'Add' });

    for (const [text, message] of [
      ['192.0.2.0/33', 'the prefix length must be a number from 0 to 32'],
      ['2001:db8::/129', 'the prefix length must be a number from 0 to 128'],
      ['192.0.2.300/24', ''],
    ] as const) {
      await entry.fill(text);
      await expect.poll(() => entry.getAttribute('aria-invalid')).toBe('true');
      const shown = form.locator('#add-pattern-message');
      await expect.poll(() => shown.getAttribute('class')).toMatch(/field-error/);
      if (message) await expect.poll(() => shown.innerText()).toContain(message);
      else expect((await shown.innerText()).length).toBeGreaterThan(10);
      await expect.poll(() => add.isDisabled()).toBe(true);
      await entry.press('Enter'); // submitting anyway does nothing
    }
    expect(await ui.listEntries()).toEqual(before);
    const grid = page.getByRole('grid', { name: 'List entries' });
    await expect.poll(() => grid.getByRole('row').filter({ hasText: '203.0.113.0/24' }).count()).toBe(1); // added from the live view
    await expect.poll(() => grid.getByRole('row').filter({ hasText: '192.0.2.' }).count()).toBe(0);

    // The same form adds the corrected network (so the refusal above is the validation, not a broken form).
    await entry.fill('192.0.2.128/25');
    await expect.poll(() => entry.getAttribute('aria-invalid')).toBe('false');
    await add.click();
    await page.getByRole('status').filter({ hasText: 'Added 192.0.2.128/25 to the allow list.' }).waitFor();
    await expect.poll(() => grid.getByRole('row').filter({ hasText: '192.0.2.128/25' }).count()).toBe(1);
    const after = await ui.listEntries();
    expect(after.length).toBe(before.length + 1);
    expect(after.map((e) => e.pattern)).not.toContain('192.0.2.0/33');
    await page.close();
  });

  it('importing a postgrey file with a bad line shows that line (number and text) and imports nothing', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    const before = await ui.listEntries();
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a list file' });
    const file = [
      '# partners that retry from pools',
      'mx.partner.example',
      '100.64.10.0/24',
      '100.64.20.0/33',
      '/^smtp[0-9]+\\.bulk\\.example$/',
      '',
    ].join('\n');
    await dialog.getByLabel('File', { exact: true }).setInputFiles({ name: 'whitelist_clients.local', mimeType: 'text/plain', buffer: Buffer.from(file) });

    await expect.poll(() => dialog.getByRole('status').filter({ hasText: 'entries read' }).innerText()).toBe('3 entries read, 1 with errors.');
    const errors = dialog.getByRole('alert');
    await expect.poll(() => errors.innerText()).toContain('1 line has an error: nothing is imported until the file is fixed.');
    const errorRows = errors.getByRole('row');
    await expect.poll(() => errorRows.count()).toBe(2); // header + the bad line
    const cells = await errorRows.nth(1).getByRole('cell').allInnerTexts();
    expect(cells[0]).toBe('4');
    expect(cells[1]).toBe('100.64.20.0/33');
    expect(cells[2]).toContain('the prefix length must be a number from 0 to 32');

    await expect.poll(() => dialog.getByRole('button', { name: /^Import 3 entries into the allow list$/ }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const after = await ui.listEntries();
    expect(after).toEqual(before);
    expect(after.filter((entry) => entry.source.startsWith('import:'))).toEqual([]);
    await expect.poll(() => page.getByRole('grid', { name: 'List entries' }).getByRole('row').filter({ hasText: 'mx.partner.example' }).count()).toBe(0);
    await page.close();
  });
});
