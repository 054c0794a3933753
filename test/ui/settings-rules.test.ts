// The Policy and Settings screens check settings as the command line does: together with the
// other settings, with warnings for risky values, reply templates with a rendered example, the
// listen settings as the filter checks them, and a restart offered where one is needed.
// Debian's Chromium drives the real renderer through one `greyward ui` on a throw-away database;
// each check is what an administrator would see, or what the filter then answers.
//
// Needs Debian's chromium and a build (`npm run build`).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../support/chromium.js';
import { fact, openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites();

describe('settings checked where they are edited', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  beforeAll(async () => {
    ui = await startUiHarness({ settings: { autoAllowAfter: '0' } });
  });
  afterAll(async () => {
    await ui?.stop();
  });

  const saveBar = (page: Page) => page.getByRole('region', { name: 'Save changes' });
  const field = (page: Page, label: RegExp) => page.locator('.setting').filter({ has: page.getByLabel(label) });

  it('Policy: refuses a retry window the delay leaves no room in, and warns about a risky delay, which it saves', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Policy');
    const delay = page.getByLabel(/^Delay before a retry passes/);
    const retryWindow = page.getByLabel(/^Retry window/);
    await expect.poll(() => delay.inputValue()).toBe('5m');

    await retryWindow.fill('1h');
    await delay.fill('30m');
    await field(page, /^Delay before a retry passes/).getByText('retryWindow (1h) must be at least delay + 1h (90m)', { exact: false }).waitFor();
    await saveBar(page).getByText('Fix the fields marked in red to save.').waitFor();
    expect(await saveBar(page).getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    // A bare number is not a duration: the unit is required.
    await delay.fill('300');
    await field(page, /^Delay before a retry passes/).getByText('"300" has no unit: write 300s, 300m, 300h, 300d or 300w', { exact: false }).waitFor();

    await retryWindow.fill('2d');
    await delay.fill('10s');
    await field(page, /^Delay before a retry passes/).getByText(/^Risky: delay 10s is under 30s: spam engines that retry within seconds pass it/).waitFor();
    await shoot(page, 'settings-rules-policy-warning');
    await saveBar(page).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status', { name: 'Saved with warnings' }).getByText(/delay 10s is under 30s/).waitFor();
    // A new triplet for every probe: a retry of the same one would be answered with the time left.
    let probe = 0;
    await expect.poll(() => ui.ask({ client_address: '198.51.100.90', sender: `risky${probe++}@delay.example` })).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 10 seconds');
    expect(JSON.parse(await ui.cli('settings', 'show', '--json')).settings).toMatchObject({ delay: 10, retryWindow: 172_800 });
    await page.close();
  });

  it('Policy: refuses an unknown placeholder in a reply, and shows the reply rendered with the delay being typed', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Policy');
    const reply = page.getByLabel(/^Defer reply/);
    await reply.fill('Later, {bogus}');
    await field(page, /^Defer reply/).getByText('unknown placeholder {bogus}; known: {seconds} {delay} {sender} {recipient} {client}').waitFor();
    expect(await field(page, /^Defer reply/).getByText('The filter answers Postfix:').count()).toBe(0);
    expect(await saveBar(page).getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    await reply.fill('Busy, retry in {seconds}s ({sender})');
    await page.getByLabel(/^Delay before a retry passes/).fill('2m');
    await field(page, /^Defer reply/).getByText('The filter answers Postfix: DEFER_IF_PERMIT 4.7.1 Busy, retry in 120s (alice@example.com)').waitFor();
    await shoot(page, 'settings-rules-policy-reply', { wholeScreen: true });
    await saveBar(page).getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => saveBar(page).innerText()).toContain('No unsaved changes');
    let probe = 0;
    await expect
      .poll(() => ui.ask({ client_address: '198.51.100.91', sender: `reply${probe++}@template.example` }))
      .toMatch(/^DEFER_IF_PERMIT 4\.7\.1 Busy, retry in 120s \(reply\d+@template\.example\)$/);
    await page.close();
  });

  it('Settings: refuses a listen address and socket the filter could not use, and offers the restart a new socket needs', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Overview');
    await expect.poll(() => fact(page, 'Process').innerText()).toMatch(/^\d+$/);
    const pidBefore = await fact(page, 'Process').innerText();
    await openScreen(page, 'Settings');
    const listen = page.getByLabel(/^Listen address \(TCP\)/);
    await expect.poll(() => listen.inputValue()).toBe('127.0.0.1:10023');
    await listen.fill('foo');
    await field(page, /^Listen address \(TCP\)/).getByText('"foo" is not a listen address; write HOST:PORT').waitFor();
    await listen.fill('127.0.0.1:99999');
    await field(page, /^Listen address \(TCP\)/).getByText(/port 99999 is out of range: 1 to 65535/).waitFor();
    await saveBar(page).getByRole('button', { name: 'Discard' }).click();

    // What only the machine can tell is checked when saved, as the filter checks it when it starts.
    const socket = page.getByLabel(/^UNIX socket/);
    await socket.fill('/etc/passwd');
    await saveBar(page).getByRole('button', { name: 'Save' }).click();
    await saveBar(page).getByRole('alert').getByText('socket: /etc/passwd exists and is not a socket; refusing to replace it').waitFor();
    expect(JSON.parse(await ui.cli('settings', 'show', '--json')).settings.socket).toBe('');

    const runDir = path.join(ui.dir, 'run');
    mkdirSync(runDir);
    const socketPath = path.join(runDir, 'policy.sock');
    await socket.fill(socketPath);
    await saveBar(page).getByRole('button', { name: 'Save' }).click();
    const notice = page.getByRole('status', { name: 'Restart needed' });
    await notice.getByText(/the filter reads socket only when it starts/).waitFor();
    expect(JSON.parse(await ui.cli('settings', 'show', '--json')).settings.socket).toBe(socketPath);
    await shoot(page, 'settings-rules-restart');

    await notice.getByRole('button', { name: 'Restart the filter' }).click();
    await page.getByRole('dialog', { name: 'Restart the filter now?' }).getByRole('button', { name: 'Restart' }).click();
    await page.getByRole('status').filter({ hasText: 'The filter was restarted with the saved socket.' }).waitFor();
    await expect.poll(() => notice.count()).toBe(0);
    await openScreen(page, 'Overview');
    await expect.poll(() => fact(page, 'Process').innerText()).not.toBe(pidBefore);
    // The restarted filter answers Postfix again.
    await expect.poll(() => ui.ask({ client_address: '198.51.100.92', sender: 'after@restart.example' }), { timeout: 10_000 }).toMatch(/^DEFER_IF_PERMIT 4\.7\.1 /);
    await page.close();
  }, 60_000); // a real restart of the filter, on a shared machine
});
