// Changes made elsewhere (the command line, another process on the same database, another
// window) appear on the open screens by themselves, without a reload, and never overwrite what
// the administrator is typing. Debian's Chromium drives the real renderer through one
// `greyward ui` on a throw-away database; the changes come from the real command line.
//
// Needs Debian's chromium and a build (`npm run build`).

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../support/chromium.js';
import { openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites();

/** Marks the page so that a reload (which would clear the mark) is noticed. */
const markPage = (page: Page) => page.evaluate('window.__notReloaded = true');
const stillTheSamePage = (page: Page) => page.evaluate('window.__notReloaded === true');

describe('changes made elsewhere appear on the open screens', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  beforeAll(async () => {
    ui = await startUiHarness();
  });
  afterAll(async () => {
    await ui?.stop();
  });

  const listRow = (page: Page, pattern: string) => page.getByRole('grid').getByRole('row').filter({ hasText: pattern });
  const delayField = (page: Page) => page.getByLabel(/^Delay before a retry passes/);
  const delaySetting = (page: Page) => page.locator('.setting').filter({ has: delayField(page) });

  it('an entry added and a setting set from the command line show on the open Lists and Policy screens, without a reload', async () => {
    const lists = await ui.newPage();
    await openScreen(lists, 'Lists');
    const policy = await ui.newPage();
    await openScreen(policy, 'Policy');
    await expect.poll(() => delayField(policy).inputValue()).toBe('5m');
    await markPage(lists);
    await markPage(policy);

    await ui.cli('lists', 'add', 'allow', 'client-address', '203.0.113.0/24', '--comment', 'partner relay, added from the shell');
    const added = Date.now();
    await expect.poll(() => listRow(lists, '203.0.113.0/24').count(), { timeout: 5000 }).toBe(1);
    const listLatency = Date.now() - added;
    expect(await listRow(lists, '203.0.113.0/24').innerText()).toContain('partner relay, added from the shell');

    await ui.cli('settings', 'set', 'delay', '10m');
    const set = Date.now();
    await expect.poll(() => delayField(policy).inputValue(), { timeout: 5000 }).toBe('10m');
    const settingLatency = Date.now() - set;
    // Not typed here: the field takes the new value, and says where it came from.
    await delaySetting(policy).getByText(/^Changed elsewhere: was 5m$/).waitFor();

    // Removed elsewhere: gone from the open list too.
    const [entry] = (await ui.listEntries()).filter((e) => e.pattern === '203.0.113.0/24');
    await ui.cli('lists', 'remove', String(entry!.id));
    await expect.poll(() => listRow(lists, '203.0.113.0/24').count(), { timeout: 5000 }).toBe(0);

    expect(await stillTheSamePage(lists)).toBe(true);
    expect(await stillTheSamePage(policy)).toBe(true);
    console.log(`live-changes: the entry showed ${listLatency} ms after \`greyward lists add\` returned, the delay ${settingLatency} ms after \`greyward settings set\` returned`);
    await lists.close();
    await policy.close();
  }, 60_000);

  it('a setting changed elsewhere while it is being typed keeps the draft, and says the saved value changed', async () => {
    await ui.cli('settings', 'set', 'delay', '5m');
    const policy = await ui.newPage();
    await openScreen(policy, 'Policy');
    await expect.poll(() => delayField(policy).inputValue()).toBe('5m');
    await delayField(policy).fill('3m');
    await markPage(policy);

    await ui.cli('settings', 'set', 'delay', '7m');
    const notice = delaySetting(policy).getByRole('status');
    await expect.poll(() => notice.innerText(), { timeout: 5000 }).toMatch(/^The saved value changed elsewhere to 7m while you edited \(you started from 5m\)\. Saving replaces it\./);
    expect(await delayField(policy).inputValue()).toBe('3m');
    expect(await policy.getByRole('region', { name: 'Save changes' }).innerText()).toContain('1 unsaved change');
    expect(await stillTheSamePage(policy)).toBe(true);
    for (const size of [{ width: 1024, height: 700 }, { width: 1440, height: 900 }]) {
      await policy.setViewportSize(size);
      await delaySetting(policy).scrollIntoViewIfNeeded();
      await shoot(policy, `live-changes-draft-kept-${size.width}x${size.height}`);
    }

    // Taking the saved value drops the draft.
    await notice.getByRole('button', { name: 'Use the saved value' }).click();
    await expect.poll(() => delayField(policy).inputValue()).toBe('7m');
    expect(await policy.getByRole('region', { name: 'Save changes' }).innerText()).toContain('No unsaved changes');
    await policy.close();
  }, 60_000);
});
