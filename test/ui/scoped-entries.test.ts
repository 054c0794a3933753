// A sender domain allowed from its provider only, end to end: Debian's Chromium drives the real
// renderer through one `greyward ui`, which supervises the real filter on a real database. The
// Lists screen adds and edits a sender-domain-scoped entry; the At risk screen offers and applies
// the scoped fix that fits each suspect's evidence. Every check of what the entry lets in is a real
// policy request to the filter: the sender's next attempt is allowed, another sender from the
// same client is still greylisted.
//
// The history the At risk screen looks at is written by the filter itself (startFilter, the
// daemon's entry) with an injected clock, before `greyward ui` starts: two pool-rotating senders,
// one whose clients have forward-confirmed names of one provider and one whose clients have none.
//
// Screenshots of the dialogs go to test-output/screenshots/ at 1024×700 and 1440×900.
// Needs Debian's chromium and a build (`npm run build`).

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFilter } from '../../main/filter/daemon.js';
import { quietLog } from '../../main/filter/log.js';
import { shoot } from '../support/chromium.js';
import { PolicyClient, rcpt } from '../support/policy-client.js';
import { prerequisitesMet } from '../support/prerequisites.js';
import { openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';

const missing = uiPrerequisites();
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
const eventually = <T>(probe: () => Promise<T> | T) => expect.poll(probe, { timeout: 10_000, interval: 50 });

interface Client {
  client_address: string;
  client_name: string;
}
const client = (client_address: string, client_name: string): Client => ({ client_address, client_name });
const attempt = (from: Client, sender: string, recipient: string) =>
  rcpt({ ...from, reverse_client_name: from.client_name, helo_name: from.client_name === 'unknown' ? `[${from.client_address}]` : from.client_name, sender, recipient });

/** A SaaS vendor's mail sent by a provider whose pool has forward-confirmed names. */
const NAMED = { sender: 'noreply@saasvendor.example', recipient: 'accounts@greyward.test' };
const NAMED_POOL = [
  client('198.51.100.17', 'mta-17.eu.outbound.cloudmail.example'),
  client('203.0.113.4', 'mta-4.us.outbound.cloudmail.example'),
  client('192.0.2.9', 'mta-9.eu.outbound.cloudmail.example'),
];
/** A vendor whose pool, spread over a /19, has no verified names. */
const UNNAMED = { sender: 'billing@payvendor.example', recipient: 'finance@greyward.test' };
const UNNAMED_POOL = [client('10.200.4.9', 'unknown'), client('10.200.9.9', 'unknown'), client('10.200.17.9', 'unknown')];

async function plantPools(db: string, now: number): Promise<void> {
  const clock = { now: now - 3 * 3600 };
  const filter = await startFilter({ db, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now });
  const connection = await PolicyClient.connect({ port: Number(filter.endpoints.tcp!.split(':').at(-1)) });
  try {
    for (const [mail, pool] of [[NAMED, NAMED_POOL], [UNNAMED, UNNAMED_POOL]] as const) {
      for (const from of pool) {
        clock.now += 700;
        expect(await connection.ask(attempt(from, mail.sender, mail.recipient))).toMatch(/^DEFER_IF_PERMIT/);
      }
    }
    await filter.service.settle();
  } finally {
    connection.close();
    await filter.stop();
  }
}

describe('sender-domain-scoped entries on the screens, against the real filter', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  const shots: string[] = [];
  beforeAll(async () => {
    ui = await startUiHarness({ settings: { autoAllowAfter: '0' }, prepare: (_cli, db) => plantPools(db, Math.floor(Date.now() / 1000)) });
  }, 90_000);
  afterAll(async () => {
    await ui?.stop();
    if (shots.length) process.stdout.write(`screenshots:\n${shots.map((file) => `  ${file}`).join('\n')}\n`);
  });

  const ask = (from: Client, sender: string) => ui.ask({ ...from, reverse_client_name: from.client_name, sender, recipient: 'sales@greyward.test' });

  it('Lists: adds a sender domain via a hostname suffix, checked as typed, and edits it to networks', { timeout: 90_000 }, async () => {
    const partner = client('198.18.7.25', 'mta-2.outbound.mailpartner.example');
    expect(await ask(partner, 'orders@partner.example')).toMatch(/^DEFER_IF_PERMIT/);

    const page = await ui.newPage();
    await openScreen(page, 'Lists');
    const form = page.getByRole('form', { name: 'Add an entry to the allow list' });
    await form.getByLabel('Kind', { exact: true }).selectOption({ label: 'Sender domain from given clients' });
    const pattern = form.getByLabel('Entry', { exact: true });
    const message = form.locator('#add-pattern-message');
    const add = form.getByRole('button', { name: 'Add' });
    expect(await pattern.getAttribute('placeholder')).toBe('cloudmail.example via outbound.cloudmail.example');
    await expect.poll(() => message.innerText()).toMatch(/^sender domain \(and its subdomains\) from given clients only: "cloudmail\.example from 192\.0\.2\.0\/24, 198\.51\.100\.0\/22" \(client networks\) or/);

    await pattern.fill('partner.example');
    await expect.poll(() => message.innerText()).toContain('a sender-domain-scoped entry says from which clients: write "partner.example from 192.0.2.0/24" (client networks) or "partner.example via outbound.cloudmail.example"');
    expect(await add.isDisabled()).toBe(true);
    await pattern.fill('partner.example from 198.18.0.0/33');
    await expect.poll(() => message.innerText()).toContain('"198.18.0.0/33": the prefix length must be a number from 0 to 32');
    await pattern.fill('partner.example via example');
    await expect.poll(() => message.innerText()).toContain('"example" is a public suffix');
    expect(await add.isDisabled()).toBe(true);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      shots.push(...(await shoot(page, `${size.width}x${size.height}-lists-add-scoped-error`)));
    }

    await pattern.fill('Partner.example VIA outbound.mailpartner.example.');
    await expect.poll(() => message.innerText()).toContain('Will be stored as partner.example via outbound.mailpartner.example.');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      shots.push(...(await shoot(page, `${size.width}x${size.height}-lists-add-scoped`)));
    }
    await form.getByLabel('Comment', { exact: true }).fill("partner's mail provider");
    await add.click();
    await page.getByText('Added partner.example via outbound.mailpartner.example to the allow list.').waitFor();
    const [entry] = (await ui.listEntries()).filter((e) => e.kind === 'sender-domain-scoped');
    expect(entry).toMatchObject({ list: 'allow', pattern: 'partner.example via outbound.mailpartner.example', comment: "partner's mail provider", source: 'ui' });

    // The filter lets the partner's retry in, and nobody else from the same client or a look-alike name.
    await expect.poll(() => ask(partner, 'orders@partner.example'), { timeout: 5000, interval: 25 }).toBe('DUNNO');
    expect(await ask(partner, 'someone@elsewhere.example')).toMatch(/^DEFER_IF_PERMIT/);
    expect(await ask({ ...partner, client_name: 'evil-outbound.mailpartner.example' }, 'orders@partner.example')).toMatch(/^DEFER_IF_PERMIT/);
    expect(await ask({ ...partner, client_name: 'unknown' }, 'orders@partner.example')).toMatch(/^DEFER_IF_PERMIT/);

    // Edited to networks in the edit dialog, with the same checks.
    const row = page.getByRole('grid', { name: 'List entries' }).getByRole('row').filter({ hasText: 'partner.example via' });
    await row.getByRole('button', { name: 'Edit partner.example via outbound.mailpartner.example' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit an entry of the allow list' });
    await expect.poll(() => dialog.getByLabel('Kind', { exact: true }).inputValue()).toBe('Sender domain from given clients');
    const editPattern = dialog.getByLabel('Entry', { exact: true });
    const editMessage = dialog.locator('#edit-pattern-message');
    await editPattern.fill('partner.example from 0.0.0.0/0');
    await expect.poll(() => editMessage.innerText()).toContain('0.0.0.0/0 is every IPv4 client');
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await editPattern.fill('partner.example from 198.18.0.0/16');
    await expect.poll(() => editMessage.innerText()).toMatch(/^sender domain \(and its subdomains\) from given clients only/);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      shots.push(...(await shoot(page, `${size.width}x${size.height}-lists-edit-scoped`)));
    }
    await dialog.getByRole('button', { name: 'Save' }).click();
    await eventually(() => dialog.count()).toBe(0);
    expect((await ui.listEntries()).find((e) => e.id === entry!.id)).toMatchObject({ pattern: 'partner.example from 198.18.0.0/16' });
    await expect.poll(() => ask({ ...partner, client_address: '198.18.200.1', client_name: 'unknown' }, 'orders@partner.example'), { timeout: 5000, interval: 25 }).toBe('DUNNO');
    expect(await ask({ ...partner, client_address: '198.19.0.1', client_name: 'unknown' }, 'orders@partner.example')).toMatch(/^DEFER_IF_PERMIT/);
    await page.close();
  });

  const suspectRow = (page: Page, sender: string) => page.getByRole('listbox', { name: 'Mail at risk, most credible first' }).getByRole('option').filter({ hasText: sender });

  async function applyFix(page: Page, sender: string, label: string, change: string, shot: string): Promise<void> {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'At risk', exact: true }).click();
    await suspectRow(page, sender).click();
    const detail = page.getByRole('complementary', { name: 'Selected mail at risk' });
    const button = detail.getByRole('button', { name: label, exact: true });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await button.scrollIntoViewIfNeeded();
      shots.push(...(await shoot(page, `${size.width}x${size.height}-${shot}-offered`)));
    }
    await button.click();
    const dialog = page.getByRole('dialog', { name: `${label}?` });
    const changes = dialog.getByRole('list', { name: 'What will change' });
    await changes.waitFor();
    expect(await changes.innerText()).toBe(change);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      shots.push(...(await shoot(page, `${size.width}x${size.height}-${shot}`)));
    }
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await eventually(() => suspectRow(page, sender).count()).toBe(0);
  }

  it('At risk: a pool with forward-confirmed names is allowed via its provider suffix; the next retry from a new host passes, another sender does not', { timeout: 90_000 }, async () => {
    const page = await ui.newPage();
    const detailText = async () => {
      await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'At risk', exact: true }).click();
      await suspectRow(page, NAMED.sender).click();
      return page.getByRole('complementary', { name: 'Selected mail at risk' }).innerText();
    };
    expect(await detailText()).toContain(
      "Mail from saasvendor.example (and its subdomains) skips greylisting when the client's forward-confirmed hostname is outbound.cloudmail.example or ends in .outbound.cloudmail.example",
    );
    await applyFix(page, NAMED.sender, 'Allow saasvendor.example via outbound.cloudmail.example', 'allow sender-domain-scoped saasvendor.example via outbound.cloudmail.example', 'at-risk-fix-via-suffix');
    expect((await ui.listEntries()).filter((e) => e.source === 'suspects')).toEqual([
      expect.objectContaining({ list: 'allow', kind: 'sender-domain-scoped', pattern: 'saasvendor.example via outbound.cloudmail.example' }),
    ]);
    const newHost = client('198.18.44.3', 'mta-44.ap.outbound.cloudmail.example');
    // The filter applies a list change within a second.
    await expect.poll(() => ui.ask({ ...newHost, reverse_client_name: newHost.client_name, ...NAMED }), { timeout: 5000, interval: 25 }).toBe('DUNNO');
    expect(await ui.ask({ ...newHost, reverse_client_name: newHost.client_name, sender: 'promo@other-customer.example', recipient: NAMED.recipient })).toMatch(/^DEFER_IF_PERMIT/);
    await page.close();
  });

  it('At risk: a pool without verified names is allowed from its covering network, its size in the label; a fifth /24 passes, another sender does not', { timeout: 90_000 }, async () => {
    const page = await ui.newPage();
    await applyFix(page, UNNAMED.sender, 'Allow payvendor.example from 10.200.0.0/19 (/19, 8,192 addresses)', 'allow sender-domain-scoped payvendor.example from 10.200.0.0/19', 'at-risk-fix-covering-network');
    const fifth = client('10.200.12.77', 'unknown');
    await expect.poll(() => ui.ask({ ...fifth, ...UNNAMED }), { timeout: 5000, interval: 25 }).toBe('DUNNO');
    expect(await ui.ask({ ...fifth, sender: 'spam@elsewhere.example', recipient: UNNAMED.recipient })).toMatch(/^DEFER_IF_PERMIT/);
    expect(await ui.ask({ ...client('10.200.32.1', 'unknown'), ...UNNAMED })).toMatch(/^DEFER_IF_PERMIT/);
    await page.close();
  });
});
