// A screenshot of every screen with realistic data, in the light and the dark theme, at the
// smallest window the screens are made for (1024 x 700) and a common one (1440 x 900), kept in
// test-output/screenshots/ for people to look at (and looked at before each release).
//
// The data: 20,000 triplets and their attempt log from bench/seed-triplets.mjs (a month of
// mail: passed, waiting, early retries, IPv4 and IPv6 networks), allow and deny lists filled
// through the command line, and live traffic sent to the running filter as real policy
// requests: first contacts, early retries, a sending pool that rotates its addresses, a bounce,
// an IPv6 client, allow-listed and deny-listed mail. Each screen is brought into a state worth
// showing (a row selected, a dialog open), checked for what must be on it, and photographed
// once per theme (emulated prefers-color-scheme, switched on the open page like an OS would).
// At every size each screen keeps its key columns whole (At risk its "Window closes in", Lists
// its Source and Expires, Greylist its Attempts), the navigation collapses to a rail on a small
// window, and a detail panel lies over the list instead of squeezing its columns away.
//
// Needs Debian's chromium and a build; fails under CI=true without them, skipped otherwise.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../support/chromium.js';
import { PolicyClient, rcpt } from '../support/policy-client.js';
import { fact, liveRow, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites();
const SEEDED = 20_000;

const ALLOW_CLIENTS = `# Google outbound: retries come from a different host of the pool
209.85.128.0/17
# Microsoft 365 outbound (EOP)
40.92.0.0/15
# partner logistics relay, ticket 4711
mx.partner-logistics.example
# our own backup MX
192.0.2.25
# payroll provider, sends from numbered hosts
/^smtp[0-9]+\\.payroll-provider\\.example$/
`;

interface Sent {
  client_address: string;
  client_name: string;
  sender: string;
  recipient: string;
}

const mail = (client_address: string, client_name: string, sender: string, recipient: string): Sent => ({ client_address, client_name, sender, recipient });

/** Live traffic as a small mail server sees it in a minute; every request goes to the real filter. */
async function sendLiveTraffic(port: number): Promise<{ replies: string[]; earlyRetrier: Sent }> {
  const firstContacts = [
    mail('198.51.100.17', 'mta17.news.shop-berlin.example', 'newsletter@shop-berlin.example', 'anna.schmidt@greyward.test'),
    mail('198.51.100.18', 'mta18.news.shop-berlin.example', 'newsletter@shop-berlin.example', 'jonas.weber@greyward.test'),
    mail('203.0.113.9', 'mail.citycouncil.example', 'permits@citycouncil.example', 'office@greyward.test'),
    mail('185.12.64.33', 'o33.mailer.ticketing.example', 'bounce+3f2a@mailer.ticketing.example', 'events@greyward.test'),
    mail('91.198.174.2', 'unknown', 'info@cheap-hosting.example', 'postmaster@greyward.test'),
    mail('45.33.12.201', 'li201.members.linode.example', 'j.doe@freelance-dev.example', 'jobs@greyward.test'),
    mail('151.101.2.14', 'smtp14.bulk-sender.example', 'offers@bulk-sender.example', 'sales@greyward.test'),
    mail('212.227.15.41', 'mout.kundenserver.example', 'thomas.mueller@handwerk-mueller.example', 'accounts@greyward.test'),
    mail('80.67.18.126', 'smtp.fdn.example', 'benoit@fdn.example', 'support@greyward.test'),
    mail('2001:db8:4:5::25', 'mx6.ipv6-only.example', 'alerts@ipv6-only.example', 'noc@greyward.test'),
    mail('93.184.216.34', 'mx.example-bank.example', 'no-reply@example-bank.example', 'finance@greyward.test'),
    mail('104.47.21.70', 'mail-db8eur05on2070.outbound.protection.example', 'calendar@contoso.example', 'meeting@greyward.test'),
    mail('5.9.100.200', 'static.200.100.9.5.clients.hoster.example', '', 'orders@greyward.test'), // a bounce: empty sender
  ];
  // A sending pool: each retry from another network, each one a new triplet.
  const pool = ['54.240.8.12', '54.240.27.9', '54.240.48.77'].map((address, i) => mail(address, `a8-${12 + i}.smtp-out.pool.example`, 'orders@marketplace.example', 'purchasing@greyward.test'));
  // An MTA that retries after seconds, not minutes: three attempts, all deferred.
  const earlyRetrier = mail('62.75.220.8', 'exchange.old-corp.example', 'frank.bauer@old-corp.example', 'hr@greyward.test');
  const allowed = [
    mail('209.85.220.41', 'mail-sor-f41.google.example', 'someone@gmail.example', 'anna.schmidt@greyward.test'),
    mail('209.85.220.73', 'mail-sor-f73.google.example', 'docs-noreply@google.example', 'office@greyward.test'),
    mail('40.92.18.22', 'mail-vi1eur04on2022.outbound.protection.example', 'partner@outlook.example', 'sales@greyward.test'),
    mail('198.51.100.200', 'mx.partner-logistics.example', 'tracking@partner-logistics.example', 'shipping@greyward.test'),
    mail('198.51.100.201', 'smtp3.payroll-provider.example', 'payslips@payroll-provider.example', 'hr@greyward.test'),
  ];
  const denied = [mail('203.0.113.66', 'unknown', 'winner@lottery-claims.example', 'office@greyward.test'), mail('203.0.113.67', 'unknown', 'winner@lottery-claims.example', 'sales@greyward.test')];

  const client = await PolicyClient.connect({ port });
  const replies: string[] = [];
  const ask = async (m: Sent) => replies.push(await client.ask(rcpt({ ...m, reverse_client_name: m.client_name, helo_name: m.client_name === 'unknown' ? `[${m.client_address}]` : m.client_name })));
  try {
    for (const m of firstContacts.slice(0, 7)) await ask(m);
    for (const m of allowed.slice(0, 3)) await ask(m);
    await ask(earlyRetrier);
    for (const m of pool) await ask(m);
    await ask(denied[0]!);
    for (const m of firstContacts.slice(7)) await ask(m);
    await ask(earlyRetrier);
    for (const m of allowed.slice(3)) await ask(m);
    await ask(denied[1]!);
    await ask(allowed[0]!);
    await ask(earlyRetrier);
  } finally {
    client.close();
  }
  return { replies, earlyRetrier };
}

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;
type Size = (typeof SIZES)[number];

type ScreenLabel = 'Overview' | 'At risk' | 'Live deferrals' | 'Trace' | 'Lists' | 'Greylist' | 'Retry behaviour' | 'Policy' | 'Impact preview' | 'Settings';

/** Follows the navigation (expanded, or collapsed to a rail) to a screen and waits for its heading. */
async function open(page: Page, label: ScreenLabel): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor();
}

/** How a column of a table shows: its header there, inside the table, and not cut short. */
function column(table: Locator, header: string) {
  return table.locator('.vhead > *', { hasText: new RegExp(`^${header}`) }).evaluate((cell) => {
    const box = cell.getBoundingClientRect();
    const frame = cell.closest('.vtable')!.getBoundingClientRect();
    return {
      shown: (globalThis as unknown as { getComputedStyle(element: unknown): { display: string } }).getComputedStyle(cell).display !== 'none' && box.width > 0,
      inside: box.left >= frame.left - 1 && box.right <= frame.right + 1,
      whole: cell.scrollWidth <= cell.clientWidth + 1,
    };
  });
}
const WHOLE = { shown: true, inside: true, whole: true };

/** Polls up to 10 s: the machine running these suites is shared. */
const eventually = <T>(probe: () => Promise<T> | T, options: { timeout?: number } = {}) => expect.poll(probe, { timeout: 10_000, interval: 50, ...options });

async function expectColumns(table: Locator, headers: string[]): Promise<void> {
  for (const header of headers) expect(await column(table, header), header).toEqual(WHOLE);
}

/** The width of a table, to tell a detail panel that lies over it from one that squeezes it. */
const widthOf = (table: Locator) => table.evaluate((element) => Math.round(element.getBoundingClientRect().width));



describe('screenshots of every screen with realistic data, light and dark, at 1440 x 900 and 1024 x 700', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  let earlyRetrier: Sent;
  const shots: string[] = [];

  beforeAll(async () => {
    ui = await startUiHarness({
      seed: SEEDED,
      async prepare(cli, db) {
        const clients = path.join(path.dirname(db), 'whitelist_clients.local');
        writeFileSync(clients, ALLOW_CLIENTS);
        await cli('lists', 'import', clients, '--format', 'postgrey-clients', '--list', 'allow');
        await cli('lists', 'add', 'allow', 'sender-domain', 'bank-statements.example', '--comment', 'statements are sent once and never retried');
        await cli('lists', 'add', 'deny', 'sender-address', 'winner@lottery-claims.example', '--comment', 'lottery scam, reported by sales');
      },
    });
    const traffic = await sendLiveTraffic(ui.filterPort);
    earlyRetrier = traffic.earlyRetrier;
    // What the traffic did, as Postfix saw it: deferred, let through, rejected.
    expect(traffic.replies.filter((r) => r.startsWith('DEFER_IF_PERMIT')).length, ui.debug()).toBe(12 + 3 + 3); // first contacts (one to postmaster@, allowed by default), the pool, the early retrier
    expect(traffic.replies.filter((r) => r === 'DUNNO').length).toBe(6 + 1);
    expect(traffic.replies.filter((r) => r.startsWith('REJECT')).length).toBe(2);
  }, 120_000);
  afterAll(async () => {
    await ui?.stop();
    if (shots.length) process.stdout.write(`screenshots:\n${shots.map((file) => `  ${file}`).join('\n')}\n`);
  });

  const pageAt = async (size: Size) => {
    const page = await ui.newPage();
    // A step that cannot happen fails with what it waited for, before the test's own timeout.
    page.setDefaultTimeout(10_000);
    await page.setViewportSize(size);
    return page;
  };

  describe.each(SIZES)('at $width x $height', (size) => {
    const name = (shot: string) => `${size.width}x${size.height}-${shot}`;
    const small = size.width < 1200;

    it('Overview: the filter, today\'s counts, the chart and the most deferred senders; the navigation collapses to a rail on a small window', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      const chart = page.getByRole('img', { name: /^Decisions per 5 minutes over the last 24 hours/ });
      await chart.locator('canvas').waitFor();
      await eventually(() => fact(page.getByRole('region', { name: 'Filter', exact: true }), 'Listens on').innerText()).toBe(`inet:127.0.0.1:${ui.filterPort}`);
      const deferredToday = Number((await page.locator('.tile-defer .tile-value').innerText()).replace(/\D/g, ''));
      expect(deferredToday).toBeGreaterThanOrEqual(18); // the live traffic's, and the seeded ones since midnight
      await eventually(() => page.getByRole('row').filter({ hasText: 'Show triplets' }).count()).toBeGreaterThan(5);
      const nav = page.getByRole('navigation', { name: 'Screens' });
      const navWidth = () => nav.evaluate((element) => Math.round(element.getBoundingClientRect().width));
      expect(await navWidth()).toBe(small ? 56 : 220);
      shots.push(...(await shoot(page, name('01-overview'), { wholeScreen: true })));
      // Collapsed or not is the administrator's choice at any size.
      await page.getByRole('button', { name: small ? 'Expand the navigation' : 'Collapse the navigation' }).click();
      expect(await navWidth()).toBe(small ? 220 : 56);
      shots.push(...(await shoot(page, name(small ? '01b-overview-navigation-expanded' : '01b-overview-navigation-collapsed'))));
      await page.close();
    });

    it('At risk: the mail greylisting is about to lose, with its window kept in view, and one opened', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'At risk');
      const list = page.locator('.vtable').filter({ has: page.getByRole('listbox', { name: 'Mail at risk, most credible first' }) });
      await list.getByRole('option').first().waitFor();
      await expectColumns(list, ['Credibility', 'Sender and recipient', 'Why at risk', 'Window closes in']);
      shots.push(...(await shoot(page, name('02-at-risk'))));
      const width = await widthOf(list);
      await list.getByRole('option').first().click();
      await page.getByRole('complementary', { name: 'Selected mail at risk' }).getByRole('table', { name: 'Every attempt' }).waitFor();
      expect(await widthOf(list)).toBe(width);
      shots.push(...(await shoot(page, name('02b-at-risk-detail'))));
      await page.close();
    });

    it('Live deferrals: streaming rows, and the detail panel of an early retrier over them', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Live deferrals');
      await liveRow(page, earlyRetrier.sender).first().waitFor();
      expect(await liveRow(page, earlyRetrier.sender).count()).toBe(3);
      await eventually(() => page.getByRole('listbox', { name: 'Deferred attempts, newest first' }).getByRole('option').count()).toBeGreaterThan(15);
      const table = page.locator('.live-table');
      await expectColumns(table, ['Time', 'Client', 'Sender', 'Recipient', 'Status']);
      shots.push(...(await shoot(page, name('03-live-deferrals'))));
      const width = await widthOf(table);
      // The newest of its three attempts, with the triplet's timeline.
      await liveRow(page, earlyRetrier.sender).first().click();
      const detail = page.getByRole('complementary', { name: 'Selected attempt' });
      expect(await fact(detail, 'Attempt').innerText()).toBe('3');
      expect(await detail.getByLabel('What became of it').innerText()).toMatch(/^Held back: a retry passes in (\d+m )?\d+s\.$|^Held back: a retry passes in \dm\.$/);
      await detail.getByRole('heading', { name: 'Attempts' }).waitFor();
      await eventually(() => detail.getByText(/retried too early/).count()).toBe(2);
      expect(await widthOf(table)).toBe(width);
      shots.push(...(await shoot(page, name('03b-live-deferrals-detail'))));
      await page.close();
    });

    it('Trace: every attempt of a mail, and the simulator', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Trace');
      await page.getByRole('searchbox', { name: 'Search the attempt log' }).fill('62.75.220.0/24');
      const grid = page.getByRole('grid', { name: 'Attempts found, newest first' });
      await eventually(() => grid.getByRole('row').count()).toBe(1 + 3);
      await grid.getByRole('row').nth(1).click();
      await eventually(() => page.getByRole('region', { name: 'Simulator' }).getByLabel(/^Sender/).inputValue()).toBe(earlyRetrier.sender);
      shots.push(...(await shoot(page, name('04-trace'), { wholeScreen: true })));
      await page.close();
    });

    it('Lists: the allow list with hits, source and expiry, and an import preview that shows its bad lines', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Lists');
      const grid = page.getByRole('grid', { name: 'List entries' });
      await eventually(() => grid.getByRole('row').count()).toBe(1 + 8); // header + 5 imported + domain + the defaults postmaster@ and abuse@
      // The filter counted the allow-listed traffic on its entries.
      const google = grid.getByRole('row').filter({ hasText: '209.85.128.0/17' });
      await eventually(() => google.getByRole('gridcell').nth(4).innerText(), { timeout: 10_000 }).toBe('3');
      await expectColumns(grid, ['Kind', 'Entry', 'Hits', 'Source', 'Expires']);
      shots.push(...(await shoot(page, name('05-lists-allow'))));

      await page.getByRole('button', { name: 'Import…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Import a list file' });
      const file = [
        '# postgrey_whitelist_clients.local from the old mail server',
        '# universities that retry from many hosts',
        'mail.uni-example.example',
        '130.149.0.0/16',
        '141.2.0.0/16',
        '# the hosting company, whole network',
        '85.13.128.0/18',
        '85.13.192.0/33',
        '*.mailout.hoster.example',
        '# pools of the newsletter provider',
        '/^mo[0-9]+\\.mail-out\\.newsletter\\.example$/',
        '10.20.030.0/24',
        '',
      ].join('\n');
      await dialog.getByLabel('File', { exact: true }).setInputFiles({ name: 'postgrey_whitelist_clients.local', mimeType: 'text/plain', buffer: Buffer.from(file) });
      await eventually(() => dialog.getByRole('alert').innerText()).toContain('3 lines have errors');
      shots.push(...(await shoot(page, name('05b-lists-import-preview-errors'))));
      await page.close();
    });

    it('Greylist: 20,000 triplets paged from the database, and one opened over the list', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Greylist');
      const grid = page.getByRole('grid', { name: 'Triplets' });
      await eventually(() => page.locator('.toolbar-info').innerText()).toMatch(/^20,0\d\d triplets · page in \d+ ms$/);
      await eventually(() => grid.locator('.vrow.placeholder').count()).toBe(0);
      expect(await grid.getByRole('row').count()).toBeGreaterThan(small ? 12 : 20);
      await expectColumns(grid, ['State', 'Client network', 'Sender', 'Recipient', 'Last seen', 'Attempts']);
      shots.push(...(await shoot(page, name('06-greylist'))));

      const width = await widthOf(grid);
      await page.getByRole('searchbox', { name: 'Search triplets' }).fill(earlyRetrier.sender);
      await eventually(() => page.locator('.toolbar-info').innerText()).toMatch(/^1 triplet · page in \d+ ms$/);
      const row = grid.getByRole('row').filter({ hasText: earlyRetrier.sender });
      await eventually(() => grid.getByRole('row').count()).toBe(2); // the header and the one match
      await row.click();
      const detail = page.getByRole('complementary', { name: 'Selected triplet' });
      await detail.getByText(/retried too early/).first().waitFor();
      expect(await widthOf(grid)).toBe(width);
      shots.push(...(await shoot(page, name('06b-greylist-search-detail'))));
      await page.close();
    });

    it('Retry behaviour: when senders retry, against the delay', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Retry behaviour');
      await page.getByRole('region', { name: 'All retries' }).getByRole('img').waitFor();
      shots.push(...(await shoot(page, name('07-retry-behaviour'), { wholeScreen: true })));
      await page.close();
    });

    it('Policy: every greylisting setting with units, defaults and the reply preview', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Policy');
      await eventually(() => page.getByLabel(/^Delay before a retry passes/).inputValue()).toBe('5m');
      // An unsaved edit shows how a change reads before it is saved.
      await page.getByLabel(/^Retry window/).fill('3d');
      await page.getByText('1 unsaved change').waitFor();
      shots.push(...(await shoot(page, name('08-policy'), { wholeScreen: true })));
      await page.getByRole('button', { name: 'Discard' }).click();
      await page.close();
    });

    it('Impact preview: a proposed delay replayed over the recorded traffic', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Impact preview');
      await page.getByLabel('Delay before a retry passes').fill('1m');
      await page.getByRole('button', { name: 'Replay' }).click();
      await page.getByRole('table', { name: 'Current and proposed settings replayed' }).waitFor({ timeout: 20_000 });
      shots.push(...(await shoot(page, name('09-impact-preview'), { wholeScreen: true })));
      await page.close();
    });

    it('Settings: where the filter listens, and the Postfix snippet for main.cf', { timeout: 60_000 }, async () => {
      const page = await pageAt(size);
      await open(page, 'Settings');
      const snippet = page.getByText(/check_policy_service inet:127\.0\.0\.1:\d+/);
      await snippet.first().waitFor();
      expect(await snippet.first().innerText()).toContain(`inet:127.0.0.1:${ui.filterPort}`);
      shots.push(...(await shoot(page, name('10-settings'), { wholeScreen: true })));
      await page.close();
    });
  });
});
