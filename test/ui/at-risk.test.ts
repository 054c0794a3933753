// Mail at risk, end to end: Debian's Chromium drives the real renderer through the browser host
// of one `greyward ui`, which supervises the real filter on a real database.
//
// The history the screens look at is real too: before `greyward ui` starts, the filter itself
// (startFilter, the daemon's own entry) answers real policy requests on the same database, with
// an injected clock set in the past: the seeded traffic generator's day of mail (honest
// retriers and every pattern greylisting loses mail to), plus a few named senders. An
// early-then-gone sender needs 15 minutes of silence after its last early retry, which the real
// clock cannot be waited for; its attempts are written 40 minutes ago instead. Then the tests
// act on the screens and check what an administrator or Postfix would notice: rows, dialogs,
// the filter's reply to the next retry, `greyward check`.
//
// Screenshots of every new screen, light and dark, go to test-output/screenshots/.
//
// Needs Debian's chromium and a build (`npm run build`); without them the suite fails under
// CI=true and is skipped otherwise.

import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFilter } from '../../main/filter/daemon.js';
import { quietLog } from '../../main/filter/log.js';
import { nextFrames, shoot } from '../support/chromium.js';
import { PolicyClient, rcpt } from '../support/policy-client.js';
import { runTraffic, type PlantedSender } from '../support/traffic-generator.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';

const missing = uiPrerequisites();
const HOUR = 3600;

interface Mail {
  client_address: string;
  client_name: string;
  sender: string;
  recipient: string;
}

const mail = (client_address: string, client_name: string, sender: string, recipient: string): Mail => ({ client_address, client_name, sender, recipient });

/** The Exchange 2003 SP2 pattern, 40 minutes ago: retries at +5 s and +20 s, all before the delay, then silence. */
const FRANK = mail('62.75.220.8', 'exchange.old-corp.example', 'frank.bauer@old-corp.example', 'hr@greyward.test');
/** The same pattern from the same server to another recipient, left alone: the control for "pass now". */
const GISELA = mail('62.75.220.8', 'exchange.old-corp.example', 'gisela.roth@old-corp.example', 'payroll@greyward.test');
/** A colleague whose mail passed yesterday from another network: old-corp.example is a domain that gets through. */
const IT_DESK = mail('62.75.221.9', 'mx2.old-corp.example', 'it-desk@old-corp.example', 'it@greyward.test');
/** Early then gone 43 hours ago: its 48-hour retry window closes in about 5 hours (the banner, the notification). */
const SUPPLIER = mail('193.170.12.40', 'mail.supplier-gmbh.example', 'accounts@supplier-gmbh.example', 'purchasing@greyward.test');
/** Early then gone 49 hours ago: its window closed an hour ago (only under "Show all"). */
const CLOSED = mail('88.198.4.17', 'smtp.ancient-mta.example', 'orders@ancient-mta.example', 'sales@greyward.test');
/** The same, left alone: a retry now starts greylisting over. */
const CLOSED_CONTROL = mail('88.198.4.17', 'smtp.ancient-mta.example', 'invoices@ancient-mta.example', 'accounts@greyward.test');

const policy = (m: Mail) => rcpt({ ...m, reverse_client_name: m.client_name, helo_name: m.client_name });

/**
 * Writes the history with the filter's own decisions, on the database `greyward ui` opens next:
 * the filter runs with a clock the planting moves, in time order, and is stopped before the ui starts.
 */
async function plantHistory(db: string, now: number): Promise<PlantedSender[]> {
  const clock = { now: now - 50 * HOUR };
  const filter = await startFilter({ db, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now });
  const endpoint = { port: Number(filter.endpoints.tcp!.split(':').at(-1)) };
  const client = await PolicyClient.connect(endpoint);
  const replies: string[] = [];
  const at = async (time: number, m: Mail) => {
    clock.now = time;
    replies.push(`${m.sender} +${time - now}: ${await client.ask(policy(m))}`);
  };
  const earlyThenGone = async (start: number, m: Mail) => {
    for (const offset of [0, 5, 20]) await at(start + offset, m);
  };
  try {
    await earlyThenGone(now - 49 * HOUR, CLOSED);
    await earlyThenGone(now - 49 * HOUR + 60, CLOSED_CONTROL);
    await earlyThenGone(now - 43 * HOUR, SUPPLIER);
    await at(now - 30 * HOUR, IT_DESK);
    await at(now - 30 * HOUR + 600, IT_DESK); // passes after the 5-minute delay
    client.close();
    // The generator's day of mail, from 26 hours ago until 2 hours ago.
    const senders = await runTraffic({ endpoint, clock, start: now - 26 * HOUR, until: now - 2 * HOUR, settle: () => filter.service.settle() });
    const again = await PolicyClient.connect(endpoint);
    try {
      clock.now = now - 40 * 60;
      for (const m of [FRANK, GISELA]) for (const offset of [0, 5, 20]) {
        clock.now = now - 40 * 60 + offset;
        replies.push(`${m.sender}: ${await again.ask(policy(m))}`);
      }
    } finally {
      again.close();
    }
    await filter.service.settle();
    const deferred = replies.filter((reply) => reply.includes('DEFER_IF_PERMIT'));
    // Every planted attempt was deferred except the colleague's retry, which passed.
    expect(replies.length - deferred.length, replies.join('\n')).toBe(1);
    return senders;
  } finally {
    client.close();
    await filter.stop();
  }
}



const NEW_SCREENS = ['At risk', 'Trace', 'Retry behaviour', 'Impact preview'] as const;

async function open(page: Page, label: (typeof NEW_SCREENS)[number]): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor();
}

const atRiskList = (page: Page) => page.getByRole('listbox', { name: 'Mail at risk, most credible first' });
const suspectRow = (page: Page, sender: string) => atRiskList(page).getByRole('option').filter({ hasText: sender });

/** The list is virtualised: scrolls it down page by page until the sender's row is rendered. */
async function scrollToSuspect(page: Page, sender: string) {
  const row = suspectRow(page, sender);
  await atRiskList(page).getByRole('option').first().waitFor();
  for (let i = 0; i < 200 && (await row.count()) === 0; i++) {
    const atEnd = await atRiskList(page).evaluate((element) => {
      element.scrollTop += element.clientHeight * 0.8;
      return element.scrollTop + element.clientHeight >= element.scrollHeight - 1;
    });
    await nextFrames(page);
    if (atEnd && (await row.count()) === 0) await nextFrames(page);
    if (atEnd && (await row.count()) === 0) break;
  }
  await row.waitFor();
  return row;
}

async function checkJson(ui: UiHarness, m: Mail): Promise<{ action: string; reason: string; rule: string; reply: string }> {
  return JSON.parse(await ui.cli('check', '--client-address', m.client_address, '--client-name', m.client_name, '--sender', m.sender, '--recipient', m.recipient, '--json'));
}

describe('mail at risk on the screens, against the real filter and database', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  let generated: PlantedSender[] = [];
  const shots: string[] = [];

  beforeAll(async () => {
    ui = await startUiHarness({
      async prepare(_cli, db) {
        generated = await plantHistory(db, Math.floor(Date.now() / 1000));
      },
    });
  }, 180_000);
  afterAll(async () => {
    await ui?.stop();
    if (shots.length) process.stdout.write(`screenshots:\n${shots.map((file) => `  ${file}`).join('\n')}\n`);
  });

  it('shows the planted early-then-gone sender, credible first, with its class, networks, countdown and evidence', async () => {
    const page = await ui.newPage();
    await open(page, 'At risk');
    const frank = suspectRow(page, FRANK.sender);
    await frank.waitFor();
    const cells = await frank.locator(':scope > span').allInnerTexts();
    // Credibility: its domain passed before from another network, a verified name in the sender's domain, it retried.
    expect(cells[0]).toBe('100%');
    expect(cells[1]).toBe(`${FRANK.sender}\nto ${FRANK.recipient}`);
    expect(cells[2]).toMatch(/^Early then gone\n3 attempts over 20 s from 62\.75\.220\.8 \[exchange\.old-corp\.example\], all deferred before the delay ran out; silent for (39|40|41) min$/);
    expect(cells[3]).toMatch(/^62\.75\.220\.0\/24/);
    expect(cells[4]).toBe('3');
    expect(cells[5]).toMatch(/^47h (1\d|20)m\nuntil /);

    // Every early-then-gone sender of the generator is there too; no honest one is.
    const rows = await atRiskList(page).getByRole('option').allInnerTexts();
    for (const planted of generated.filter((s) => s.pattern === 'early-then-gone')) expect(rows.some((row) => row.includes(planted.sender))).toBe(true);
    expect(rows.filter((row) => /^news\d+@/m.test(row.split('\n')[1] ?? ''))).toEqual([]);
    // Most credible first (open windows first, then credibility).
    const credibility = rows.map((row) => Number(row.split('\n')[0]!.replace('%', '')));
    expect([...credibility].sort((a, b) => b - a)).toEqual(credibility);

    // The window about to close counts down in seconds.
    const supplier = suspectRow(page, SUPPLIER.sender).locator(':scope > span').nth(5).locator('span').first();
    const before = await supplier.innerText();
    expect(before).toMatch(/^[45]h \d\dm \d\ds$/);
    await expect.poll(() => supplier.innerText(), { timeout: 3000 }).not.toBe(before);

    // The detail panel: the evidence (every attempt's time, client address and name, action) and why it is credible.
    await frank.click();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });
    const evidence = detail.getByRole('table', { name: 'Every attempt' }).getByRole('row');
    await expect.poll(() => evidence.count()).toBe(1 + 3);
    const attempts = await Promise.all((await evidence.all()).slice(1).map((row) => row.getByRole('cell').allInnerTexts()));
    expect(attempts.map(([time, client, decision]) => [time!.replace(/^\d\d:\d\d:\d\d\n/, ''), client, decision])).toEqual([
      ['first', '62.75.220.8\nexchange.old-corp.example', 'defer\nfirst attempt of this triplet'],
      ['+5s', '62.75.220.8\nexchange.old-corp.example', 'defer\nretried before the delay was over'],
      ['+20s', '62.75.220.8\nexchange.old-corp.example', 'defer\nretried before the delay was over'],
    ]);
    const reasons = await detail.getByRole('list', { name: 'Why this credibility' }).innerText();
    expect(reasons).toMatch(/\+25\s+old-corp\.example has passed before from 1 client network/);
    expect(reasons).toMatch(/\+20\s+client has a forward-confirmed reverse name \(exchange\.old-corp\.example\)/);
    expect(await detail.innerText()).toMatch(/Retry window\s+closes in 47h/);
    shots.push(...(await shoot(page, '07-at-risk-detail')));
    await detail.getByRole('table', { name: 'Every attempt' }).scrollIntoViewIfNeeded();
    shots.push(...(await shoot(page, '07a-at-risk-detail-fixes-evidence')));
    await page.close();
  });

  it('"Pass now" shows what it will change first, and once applied the next retry passes (DUNNO)', async () => {
    const page = await ui.newPage();
    await open(page, 'At risk');
    await suspectRow(page, FRANK.sender).click();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });
    await detail.getByRole('button', { name: 'Pass now' }).click();

    const dialog = page.getByRole('dialog', { name: 'Pass now?' });
    const changes = dialog.getByRole('list', { name: 'What will change' });
    await changes.waitFor();
    expect(await changes.innerText()).toBe(`pass triplet 62.75.220.0/24 ${FRANK.sender} → ${FRANK.recipient} now: its next retry passes`);
    // The dry run changed nothing: the filter would still treat a retry as an ordinary pass after the delay.
    expect(await checkJson(ui, FRANK)).toMatchObject({ action: 'pass', reason: 'passed' });
    shots.push(...(await shoot(page, '07b-at-risk-pass-now-dialog')));

    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: `Pass now: done for ${FRANK.sender} → ${FRANK.recipient}.` }).waitFor();
    expect(await checkJson(ui, FRANK)).toMatchObject({ action: 'pass', reason: 'known' });

    // The next retry, sent to the filter `greyward ui` supervises, passes as a known triplet: DUNNO,
    // where the untouched control of the same pattern gets the ordinary pass after a delay.
    expect(await ui.ask({ ...FRANK, reverse_client_name: FRANK.client_name, helo_name: FRANK.client_name })).toBe('DUNNO');
    expect(await ui.ask({ ...GISELA, reverse_client_name: GISELA.client_name, helo_name: GISELA.client_name })).toMatch(/^PREPEND X-Greylist: delayed 2\d\d\d seconds by Greyward-/);

    // The list follows: Frank was fixed (the fix reloads it); Gisela passed by herself, which
    // only the attempt log says: the pushed attempts reload the list within the throttle (5 s).
    await expect.poll(() => suspectRow(page, FRANK.sender).count()).toBe(0);
    await expect.poll(() => suspectRow(page, GISELA.sender).count(), { timeout: 8000 }).toBe(0);
    await detail.getByText('No longer on the list').waitFor();
    await page.close();
  });

  it('the list fixes show their entries before anything changes; cancel leaves the lists alone, apply adds them', async () => {
    const staff1 = generated.find((s) => s.pattern === 'early-then-gone' && s.sender.startsWith('staff1@'))!;
    const network = `${staff1.clients[0]!.address.split('.').slice(0, 3).join('.')}.0/24`;
    const page = await ui.newPage();
    await open(page, 'At risk');
    await suspectRow(page, staff1.sender).click();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });

    // Its one client had a forward-confirmed name: the domain is offered from that host only.
    await detail.getByRole('button', { name: 'Allow corp1.example via exchange.corp1.example' }).click();
    let dialog = page.getByRole('dialog', { name: 'Allow corp1.example via exchange.corp1.example?' });
    expect(await dialog.getByRole('list', { name: 'What will change' }).innerText()).toBe('allow sender-domain-scoped corp1.example via exchange.corp1.example');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await ui.listEntries()).filter((entry) => entry.pattern === network || entry.kind === 'sender-domain-scoped')).toEqual([]);

    await detail.getByRole('button', { name: 'Allow the client network' }).click();
    dialog = page.getByRole('dialog', { name: 'Allow the client network?' });
    expect(await dialog.getByRole('list', { name: 'What will change' }).innerText()).toBe(`allow client-address ${network}`);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await ui.listEntries()).filter((entry) => entry.pattern === network)).toEqual([
      expect.objectContaining({ list: 'allow', kind: 'client-address', source: 'suspects' }),
    ]);
    // The lists now let it through: it leaves the list, and its next attempt is allowed.
    await expect.poll(() => suspectRow(page, staff1.sender).count()).toBe(0);
    expect(await ui.ask({ client_address: staff1.clients[0]!.address, client_name: staff1.clients[0]!.name, sender: staff1.sender, recipient: staff1.recipient })).toBe('DUNNO');
    await page.close();
  });

  it('"Show all" adds the closed windows; "pass now" lets a retry through where greylisting would start over', { timeout: 45_000 }, async () => {
    const page = await ui.newPage();
    await open(page, 'At risk');
    await suspectRow(page, SUPPLIER.sender).waitFor();
    expect(await suspectRow(page, CLOSED.sender).count()).toBe(0);
    await page.getByRole('checkbox', { name: 'Show all (closed windows, spam-like)' }).check();
    await expect.poll(() => page.locator('.toolbar-info').innerText()).toMatch(/^\d+ mails · updated/);
    const closed = await scrollToSuspect(page, CLOSED.sender);
    expect(await closed.locator(':scope > span').nth(5).innerText()).toMatch(/^closed (5\dm|1h( \d+m)?) ago\nmost likely lost$/);
    // Spam-like senders of the generator are listed now too.
    await scrollToSuspect(page, 'promo0@blast0.example');
    await closed.scrollIntoViewIfNeeded();
    shots.push(...(await shoot(page, '07c-at-risk-show-all')));

    await closed.click();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });
    await detail.getByRole('button', { name: 'Pass now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pass now?' });
    await dialog.getByRole('list', { name: 'What will change' }).waitFor();
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await ui.ask({ ...CLOSED, reverse_client_name: CLOSED.client_name })).toBe('DUNNO');
    expect(await ui.ask({ ...CLOSED_CONTROL, reverse_client_name: CLOSED_CONTROL.client_name })).toMatch(/^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in 300 seconds$/);
    await page.close();
  });

  it('warns on every screen about credible mail whose window closes within hours, until dismissed', async () => {
    const page = await ui.newPage();
    const banner = page.getByRole('alert', { name: 'Mail about to be lost' });
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain(`${SUPPLIER.sender} → ${SUPPLIER.recipient}`);
    expect(text).toMatch(/retry window closes in [45]h \d\dm \d\ds/);
    // The navigation counts the mail at risk.
    const link = page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'At risk', exact: true });
    expect(await link.locator('.nav-count').innerText()).toMatch(/^\d+$/);
    // "Review" opens the At risk screen on that mail, wherever the list (most credible first) has it.
    await banner.getByRole('link', { name: 'Review on At risk' }).click();
    await page.getByRole('heading', { level: 1, name: 'At risk', exact: true }).waitFor();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });
    await expect.poll(() => detail.innerText()).toContain(SUPPLIER.sender);
    expect(await detail.innerText()).toMatch(/Retry window\s+closes in [45]h \d\dm \d\ds/);
    expect(await suspectRow(page, SUPPLIER.sender).getAttribute('aria-selected')).toBe('true');
    shots.push(...(await shoot(page, '07d-at-risk-about-to-be-lost')));
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await banner.waitFor({ state: 'hidden' });
    await page.close();
  });

  it('the impact preview of a shorter delay shows fewer lost mails than the current setting, on the same traffic', async () => {
    const page = await ui.newPage();
    await open(page, 'Impact preview');
    const delay = page.getByLabel('Delay before a retry passes');
    await expect.poll(() => delay.inputValue()).toBe('5m');
    await delay.fill('3s');
    await page.getByText('= 3 seconds').waitFor();
    await page.getByRole('button', { name: 'Replay' }).click();
    const table = page.getByRole('table', { name: 'Current and proposed settings replayed' });
    await table.waitFor();
    const lost = await table.getByRole('row').filter({ hasText: 'Mails that would be lost' }).getByRole('cell').allInnerTexts();
    const [current, proposed] = lost.map((cell) => Number(cell.replace(/\D/g, '')));
    // The Exchange-like senders retried at +5 s and +20 s: a 3-second delay would have let them through.
    expect(proposed).toBeLessThan(current!);
    expect(current! - proposed!).toBeGreaterThanOrEqual(generated.filter((s) => s.pattern === 'early-then-gone').length);
    expect(await page.getByText(/^On the recorded traffic, the proposal means \d+ fewer mails lost/).count()).toBe(1);
    expect(await table.getByRole('columnheader').allInnerTexts()).toEqual(['Replayed outcome', 'Current\ndelay 5m, retry window 2d', 'Proposed\ndelay 3s, retry window 2d', 'Change']);
    shots.push(...(await shoot(page, '09-impact-preview', { wholeScreen: true })));
    await page.close();
  });

  it('the impact preview replays client grouping, auto-allow and the mode: a /16 grouping saves the pool-rotating senders', async () => {
    const page = await ui.newPage();
    await open(page, 'Impact preview');
    const form = page.getByRole('form', { name: 'Proposed settings' });
    await expect.poll(() => form.getByLabel('IPv4 client grouping').inputValue()).toBe('24');
    expect(await form.getByLabel('IPv6 client grouping').inputValue()).toBe('64');
    expect(await form.getByLabel('Auto-allow a client after').inputValue()).toBe('5');
    expect(await form.getByLabel('Auto-allow counts').inputValue()).toBe('address');
    expect(await form.getByLabel('Who is greylisted').inputValue()).toBe('everyone');
    await form.getByLabel('IPv4 client grouping').fill('16');
    await page.getByRole('button', { name: 'Replay' }).click();
    const table = page.getByRole('table', { name: 'Current and proposed settings replayed' });
    await expect.poll(async () => (await table.getByRole('columnheader').allInnerTexts()).join(' | '), { timeout: 20_000 }).toBe(
      'Replayed outcome | Current\ndelay 5m, retry window 2d, IPv4 clients grouped by /24 | Proposed\ndelay 5m, retry window 2d, IPv4 clients grouped by /16 | Change',
    );
    const cells = async (label: string) => (await table.getByRole('row').filter({ hasText: label }).getByRole('cell').allInnerTexts()).map((cell) => Number(cell.replace(/\D/g, '')));
    const [lostNow, lostProposed] = await cells('Mails that would be lost');
    const [delayedNow, delayedProposed] = await cells('Mails delayed');
    const pools = generated.filter((s) => s.pattern === 'pool-rotation').length;
    // Each pool retried from a sibling /24 after the delay: under a /16 that retry passes.
    expect(lostNow! - lostProposed!).toBeGreaterThanOrEqual(pools);
    expect(delayedProposed! - delayedNow!).toBeGreaterThanOrEqual(pools);
    expect(await page.getByText(/^On the recorded traffic, the proposal means \d+ fewer mails lost/).count()).toBe(1);
    for (const size of [{ width: 1024, height: 700 }, { width: 1440, height: 900 }]) {
      await page.setViewportSize(size);
      shots.push(...(await shoot(page, `09b-impact-client-grouping-${size.width}x${size.height}`, { wholeScreen: true })));
    }
    await page.close();
  });

  it('the retry histogram marks the delay, overall and for a sender domain picked from the mail at risk', async () => {
    const page = await ui.newPage();
    await open(page, 'Retry behaviour');
    const overall = page.getByRole('region', { name: 'All retries' });
    await overall.getByRole('img').waitFor();
    expect(await overall.getByRole('img').locator('text', { hasText: 'delay 5m' }).count()).toBe(1);
    expect(await overall.innerText()).toMatch(/\d+ retry intervals over everything recorded\. \d+ \(\d+%\) came before the delay in force at the time had run out/);

    await page.getByRole('button', { name: 'corp0.example', exact: true }).click();
    const domain = page.getByRole('region', { name: 'Retries from corp0.example' });
    await domain.getByRole('img').waitFor();
    // Its early-then-gone sender retried after 5 s and 15 s more; its honest sender once after minutes.
    expect(await domain.innerText()).toMatch(/3 retry intervals from corp0\.example, over everything recorded\. 2 \(67%\) came before the delay in force at the time had run out/);
    shots.push(...(await shoot(page, '08-retry-behaviour', { wholeScreen: true })));
    await page.close();
  });

  it('traces a mail through the log, and the simulator answers as `greyward check` does', async () => {
    const page = await ui.newPage();
    await open(page, 'Trace');
    await page.getByRole('searchbox', { name: 'Search the attempt log' }).fill(FRANK.sender);
    const grid = page.getByRole('grid', { name: 'Attempts found, newest first' });
    await expect.poll(() => grid.getByRole('row').count()).toBe(1 + 4);
    const rows = await grid.getByRole('row').all();
    const why = await Promise.all(rows.slice(1).map(async (row) => (await row.getByRole('gridcell').allInnerTexts()).slice(3).join(' | ').replace(/\n/g, ' / ')));
    expect(why).toEqual([
      'pass | known triplet (passed before) / triplet 62.75.220.0/24',
      'defer | retried before the delay was over / triplet 62.75.220.0/24',
      'defer | retried before the delay was over / triplet 62.75.220.0/24',
      'defer | first attempt of this triplet / triplet 62.75.220.0/24',
    ]);

    // A client address finds every attempt from it, whoever sent.
    await page.getByRole('searchbox', { name: 'Search the attempt log' }).fill(CLOSED.client_address);
    await expect.poll(() => page.locator('.trace-main .toolbar-info').innerText()).toBe('8 attempts, newest first');

    // Picking an attempt fills in the simulator; its answer is the command line's.
    await grid.getByRole('row').filter({ hasText: CLOSED_CONTROL.sender }).first().click();
    const simulator = page.getByRole('region', { name: 'Simulator' });
    await expect.poll(() => simulator.getByLabel(/^Sender/).inputValue()).toBe(CLOSED_CONTROL.sender);
    await simulator.getByRole('button', { name: 'Ask the filter' }).click();
    const decision = simulator.getByLabel('Decision now');
    await decision.waitFor();
    const cli = await checkJson(ui, CLOSED_CONTROL);
    expect(cli).toMatchObject({ action: 'defer', reason: 'early' });
    const shown = await decision.innerText();
    // The seconds left may tick between the two answers.
    const digitsAside = (text: string) => text.replace(/\d+ seconds/g, 'N seconds');
    expect(digitsAside(shown)).toContain(digitsAside(cli.reply));
    expect(shown).toContain(cli.rule);
    expect(shown).toContain('retried before the delay was over');
    expect(await decision.innerText()).toContain(`greyward check --client-address ${CLOSED_CONTROL.client_address} --client-name ${CLOSED_CONTROL.client_name} --sender ${CLOSED_CONTROL.sender} --recipient ${CLOSED_CONTROL.recipient}`);
    shots.push(...(await shoot(page, '10-trace-simulator')));
    await page.close();
  });
});
