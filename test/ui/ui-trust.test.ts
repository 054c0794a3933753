// What the screens say must be true, end to end: Debian's Chromium drives the real renderer
// through the browser host of one `greyward ui`, which supervises the real filter on a real
// database.
//
// The history is written by the filter itself (startFilter, the daemon's entry) with an injected
// clock before `greyward ui` starts: 1,200 deferrals from half an hour ago (more than the 1,000 the
// live view used to load), and one mail deferred and passed on its retry after the delay. Then
// the tests send real policy requests to the running filter and look at what an administrator
// would: the live rows and their counts, the trace of a network or of bounces, the Overview
// chart, an unsaved policy edit after leaving the screen.
//
// Needs Debian's chromium and a build (`npm run build`); without them the suite fails under
// CI=true and is skipped otherwise.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFilter } from '../../main/filter/daemon.js';
import { quietLog } from '../../main/filter/log.js';
import { shoot } from '../support/chromium.js';
import { PolicyClient, rcpt } from '../support/policy-client.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { liveRow, openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';

const missing = uiPrerequisites();
const BULK = 1200;
const RETRIED = { client_address: '198.51.100.40', client_name: 'mx.retrier.example', sender: 'invoices@retrier.example', recipient: 'accounts@greyward.test' };

async function plantHistory(db: string, now: number): Promise<void> {
  const clock = { now: now - 50 * 60 };
  const filter = await startFilter({ db, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now });
  const client = await PolicyClient.connect({ port: Number(filter.endpoints.tcp!.split(':').at(-1)) });
  try {
    for (let i = 0; i < BULK; i++) {
      clock.now = now - 50 * 60 + i;
      const reply = await client.ask(rcpt({ client_address: `198.18.${i >> 8}.${i & 255}`, client_name: 'unknown', sender: `news${i}@bulk.example`, recipient: 'office@greyward.test' }));
      expect(reply).toMatch(/^DEFER_IF_PERMIT/);
    }
    clock.now = now - 40 * 60;
    expect(await client.ask(rcpt(RETRIED))).toMatch(/^DEFER_IF_PERMIT/);
    clock.now = now - 30 * 60;
    expect(await client.ask(rcpt(RETRIED))).toMatch(/^PREPEND X-Greylist: delayed 600 seconds/);
    await filter.service.settle();
  } finally {
    client.close();
    await filter.stop();
  }
}

/** Polls up to 10 s: the machine running these suites is shared. */
const eventually = <T>(probe: () => Promise<T> | T, options: { timeout?: number } = {}) => expect.poll(probe, { timeout: 10_000, interval: 50, ...options });

const toolbarCounts = (page: Page) => page.locator('.live-counts').innerText();
const status = (page: Page, sender: string) => liveRow(page, sender).locator('.live-status').innerText();

describe('screens an administrator can trust, against the real filter and database', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  beforeAll(async () => {
    ui = await startUiHarness({
      settings: { autoAllowAfter: '0' },
      prepare: (_cli, db) => plantHistory(db, Math.floor(Date.now() / 1000)),
    });
  }, 120_000);
  afterAll(async () => {
    await ui?.stop();
  });

  it('Live deferrals loads as many deferrals as it says it keeps, and shows the ones that passed since as passed', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Live deferrals');
    await eventually(() => toolbarCounts(page)).toBe(`1,200 held back, 1 passed since`);
    expect(await page.locator('.screen-subtitle').innerText()).toContain('The last 10,000 deferrals');
    const listbox = page.getByRole('listbox', { name: 'Deferred attempts, newest first' });
    await listbox.focus();
    await page.keyboard.press('Home');
    // The newest row is the retrier's deferral 40 minutes ago; its retry passed 10 minutes later.
    expect(await status(page, RETRIED.sender)).toMatch(/^passed on retry \d\d:\d\d:\d\d$/);
    await page.close();
  });

  it('after "Pass now" the row says it passed, by you, when; a retry let in by a new allow entry shows as allowed', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Live deferrals');
    await eventually(() => toolbarCounts(page)).toBe(`1,200 held back, 1 passed since`);
    const held = { client_address: '203.0.113.50', client_name: 'mail.held.example', sender: 'contracts@held.example', recipient: 'legal@greyward.test' };
    expect(await ui.ask(held)).toMatch(/^DEFER_IF_PERMIT/);
    await eventually(() => status(page, held.sender)).toMatch(/^passes in (5m|4m 5\ds)$/);

    await liveRow(page, held.sender).click();
    const detail = page.getByRole('complementary', { name: 'Selected attempt' });
    await detail.getByRole('button', { name: 'Pass now' }).click();
    await page.getByRole('dialog', { name: 'Pass this triplet now?' }).getByRole('button', { name: 'Pass now' }).click();
    await eventually(() => status(page, held.sender)).toMatch(/^passed by you \d\d:\d\d:\d\d$/);
    expect(await detail.getByLabel('What became of it').innerText()).toMatch(/^Passed by you \("Pass now"\): its next retry is accepted, \d\d:\d\d:\d\d\.$/);
    // Nothing is left to pass: the button is no longer offered as the thing to do.
    expect(await detail.getByRole('button', { name: 'Pass now' }).isDisabled()).toBe(true);
    expect(await toolbarCounts(page)).toBe('1,200 held back, 2 passed since');
    // The filter forgets the triplet state it remembers within 0.1 s; the retry then passes.
    await eventually(() => ui.ask(held), { timeout: 5000 }).toMatch(/^(DUNNO$|PREPEND X-Greylist)/);
    expect(await status(page, held.sender)).toMatch(/^passed by you /);

    const allowed = { client_address: '203.0.113.60', client_name: 'mail.partner.example', sender: 'orders@partner.example', recipient: 'sales@greyward.test' };
    expect(await ui.ask(allowed)).toMatch(/^DEFER_IF_PERMIT/);
    await eventually(() => toolbarCounts(page)).toBe('1,201 held back, 2 passed since');
    await liveRow(page, allowed.sender).click();
    await detail.getByRole('button', { name: /^Allow the sender orders@/ }).click();
    await page.getByRole('dialog', { name: 'Allow the sender?' }).getByRole('button', { name: 'Add to the allow list' }).click();
    await eventually(async () => (await ui.listEntries()).some((entry) => entry.pattern === allowed.sender)).toBe(true);
    // The filter applies the entry within a second; the sender's retry is then let in.
    await eventually(() => ui.ask(allowed), { timeout: 5000 }).toBe('DUNNO');
    await eventually(() => status(page, allowed.sender)).toMatch(/^allowed \d\d:\d\d:\d\d$/);
    await eventually(() => toolbarCounts(page)).toBe('1,200 held back, 3 passed since');
    await detail.getByRole('button', { name: 'Close the detail panel' }).click();
    await shoot(page, '11-live-deferrals-passed');
    await page.close();
  });

  it('Trace finds a client network, IPv4 or IPv6, and the bounces (the empty sender <>)', async () => {
    for (const [client_address, sender] of [
      ['192.0.2.10', 'one@net-a.example'],
      ['192.0.2.200', 'two@net-a.example'],
      ['192.0.3.10', 'three@net-b.example'],
      ['2001:db8:1:2::25', 'four@v6.example'],
      ['2001:db8:1:3::25', 'five@v6.example'],
      ['203.0.113.77', ''],
    ] as const) {
      expect(await ui.ask({ client_address, client_name: 'unknown', sender, recipient: 'trace@greyward.test' })).toMatch(/^DEFER_IF_PERMIT/);
    }
    const page = await ui.newPage();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Trace', exact: true }).click();
    const search = page.getByRole('searchbox', { name: 'Search the attempt log' });
    const grid = page.getByRole('grid', { name: 'Attempts found, newest first' });
    // The client address of each attempt found, newest first, once the results answer the query.
    const clients = async () => (await grid.getByRole('row').allInnerTexts()).slice(1).map((row) => row.split('\n')[2]);
    const expectFound = async (query: string, expected: string[]) => {
      await search.fill(query);
      await eventually(clients).toEqual(expected);
      await eventually(() => page.locator('.trace-main .toolbar-info').innerText()).toBe(`${expected.length} ${expected.length === 1 ? 'attempt' : 'attempts'}, newest first`);
    };
    await expectFound('192.0.2.0/24', ['192.0.2.200', '192.0.2.10']);
    await expectFound('2001:db8:1:2::/64', ['2001:db8:1:2::25']);
    await expectFound('<>', ['203.0.113.77']);
    await expectFound('192.0.3.10', ['192.0.3.10']);
    await page.close();
  });

  it('an unsaved Policy edit is kept when the administrator goes to another screen, and said so', async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Policy');
    await eventually(() => page.getByLabel(/^Retry window/).inputValue()).toBe('2d');
    await page.getByLabel(/^Retry window/).fill('3d');
    await page.getByText('1 unsaved change').waitFor();
    await openScreen(page, 'Overview');
    await page.getByText('Your unsaved Policy changes are kept').waitFor();
    const policyLink = page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Policy', exact: true });
    expect(await policyLink.getAttribute('aria-description')).toBe('unsaved changes');
    await openScreen(page, 'Policy');
    expect(await page.getByLabel(/^Retry window/).inputValue()).toBe('3d');
    await page.getByText('1 unsaved change').waitFor();
    await page.getByRole('button', { name: 'Discard' }).click();
    expect(await page.getByLabel(/^Retry window/).inputValue()).toBe('2d');
    expect(await policyLink.getAttribute('aria-description')).toBeNull();
    await page.close();
  });

  it('the Overview chart shows fresh traffic over the last hour, and offers 24 hours and 7 days', async () => {
    const page = await ui.newPage();
    const range = page.getByRole('group', { name: 'Chart range' });
    await eventually(() => range.getByRole('button', { pressed: true }).innerText()).toBe('Last hour');
    await page.getByRole('heading', { name: 'Decisions per minute, last hour' }).waitFor();
    await page.getByRole('img', { name: /^Decisions per minute over the last hour/ }).locator('canvas').waitFor();
    await shoot(page, '12-overview-fresh-traffic-last-hour', { wholeScreen: true });
    await range.getByRole('button', { name: '7 days' }).click();
    await page.getByRole('heading', { name: 'Decisions per hour, last 7 days' }).waitFor();
    await page.getByRole('img', { name: /^Decisions per hour over the last 7 days/ }).waitFor();
    await range.getByRole('button', { name: '24 hours' }).click();
    await page.getByRole('heading', { name: 'Decisions per 5 minutes, last 24 hours' }).waitFor();
    await page.close();
  });

  it('the Overview chart marks when a setting changed, and from what to what', async () => {
    await ui.cli('settings', 'set', 'delay', '7m');
    const page = await ui.newPage();
    const changes = page.getByRole('list', { name: 'Setting changes in this range, dashed on the chart' });
    await eventually(() => changes.innerText()).toMatch(/^\s*\d\d:\d\d:\d\d autoAllowAfter 5 \(default\) → 0\s+\d\d:\d\d:\d\d delay 5m \(default\) → 7m$/);
    await shoot(page, '12-overview-setting-changes', { wholeScreen: true });
    await page.close();
  });
});
