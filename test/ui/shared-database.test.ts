// The screens on a workstation, onto a greylist two filters share on PostgreSQL: `greyward ui
// --db URL` starts no filter of its own, the Overview lists both filters from their heartbeats,
// and the live view shows a deferral made at either host with that host. Everything real: a
// throw-away cluster, two `greyward filter` processes, Debian's Chromium.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { greywardOk, startDaemon, type DaemonProcess } from '../support/greyward-process.js';
import { startPgCluster, postgresAvailability, type PgCluster } from '../support/pg-cluster.js';
import { askOnce, rcpt } from '../support/policy-client.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { liveRow, openScreen, uiPrerequisites } from '../support/ui-harness.js';
import { startUi, type UiProcess } from '../support/ui-process.js';

describe('the screens on a shared PostgreSQL greylist', () => {
  if (!prerequisitesMet(uiPrerequisites(postgresAvailability()))) return;
  let cluster: PgCluster;
  let url: string;
  const filters: DaemonProcess[] = [];
  let ui: UiProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await ui?.stop();
    for (const filter of filters) await filter.stop();
    await cluster?.destroy();
  });

  it('lists both filters on the Overview and shows a deferral made at either host in the live view, with its host', { timeout: 90_000 }, async () => {
    await greywardOk('lists', 'add', 'allow', 'client-address', '203.0.113.0/24', '--comment', 'partner relays', '--db', url);
    for (const name of ['mx1.example.net', 'mx2.example.net']) {
      filters.push(await startDaemon(['--db', url, '--listen', '127.0.0.1:0', '--name', name]));
    }
    [ui, browser] = await Promise.all([startUi(['--db', url]), launchChromium()]);
    expect(ui.stderr()).not.toMatch(/filter (starting|running)/);
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' })).newPage();
    await page.goto(ui.url);
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();

    await openScreen(page, 'Overview');
    const table = page.getByRole('table', { name: 'Filters on this database' });
    for (const [i, name] of ['mx1.example.net', 'mx2.example.net'].entries()) {
      const row = table.getByRole('row').filter({ hasText: name });
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(async () => row.textContent()).toContain('answering');
      expect(await row.textContent()).toContain(filters[i]!.readyLine.split('tcp=')[1]!.split(' ')[0]);
    }
    await page.screenshot({ path: `${process.env.GREYWARD_SCREENSHOTS ?? '/tmp'}/shared-overview.png`, fullPage: true });

    await openScreen(page, 'Live deferrals');
    expect(await askOnce({ port: filters[0]!.port }, rcpt({ sender: 'first@sender.example' }))).toMatch(/^DEFER_IF_PERMIT/);
    expect(await askOnce({ port: filters[1]!.port }, rcpt({ sender: 'second@sender.example' }))).toMatch(/^DEFER_IF_PERMIT/);
    await expect.poll(() => liveRow(page, 'first@sender.example').textContent(), { timeout: 10_000 }).toContain('mx1.example.net');
    await expect.poll(() => liveRow(page, 'second@sender.example').textContent(), { timeout: 10_000 }).toContain('mx2.example.net');
    await page.screenshot({ path: `${process.env.GREYWARD_SCREENSHOTS ?? '/tmp'}/shared-live.png` });

    // The lists are the shared ones: the entry added from the command line is there.
    await openScreen(page, 'Lists');
    await expect.poll(() => page.getByText('203.0.113.0/24').count()).toBeGreaterThan(0);

    // At risk reads the window's copy of the shared greylist: the two fresh deferrals are no loss yet.
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'At risk', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'At risk', exact: true }).waitFor();
    await page.getByText(/Nothing in the attempt log looks lost|No mail at risk/).first().waitFor({ timeout: 15_000 });
    expect(await page.getByText('Could not load the mail at risk').count()).toBe(0);
    await page.screenshot({ path: `${process.env.GREYWARD_SCREENSHOTS ?? '/tmp'}/shared-at-risk.png` });
  });
});
