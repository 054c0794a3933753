// The whole chain, as an administrator lives it: Debian's real Postfix asks the filter that
// `greyward ui` supervises about every RCPT TO, swaks sends a mail, and the deferral shows up
// on the Live deferrals screen. "Pass now" on that row (with its confirm step) lets the
// sender's retry through at once: swaks' second attempt is accepted (250) and delivered,
// without waiting out the 5-minute delay.
//
//   swaks --SMTP--> Postfix --check_policy_service inet:127.0.0.1:PORT--> filter <--supervises-- greyward ui <--WebSocket-- Chromium
//
// Needs root, Debian's postfix and swaks, chromium and a build; without them the suite fails
// under CI=true and is skipped otherwise.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postfixAvailable, startPostfix, type PostfixInstance } from '../support/postfix.js';
import { rcptReply, sendMail, swaksAvailable } from '../support/swaks.js';
import { fact, liveRow, openScreen, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites(postfixAvailable(), swaksAvailable());

describe('the Live deferrals screen with a real Postfix and swaks', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  let postfix: PostfixInstance;
  const debug = () => `\n--- Postfix maillog\n${postfix?.mailLog() ?? ''}\n${ui?.debug() ?? ''}`;

  beforeAll(async () => {
    ui = await startUiHarness({ settings: { autoAllowAfter: '0' } });
    postfix = await startPostfix({ policyService: `inet:127.0.0.1:${ui.filterPort}` });
  });
  afterAll(async () => {
    // Postfix first (its smtpd processes hold policy connections), then the ui and its filter, by PID.
    await postfix?.stop();
    await ui?.stop();
  });

  it('a mail deferred by Postfix appears live; "Pass now" lets its retry through (250) and it is delivered', { timeout: 60_000 }, async () => {
    const page = await ui.newPage();
    await openScreen(page, 'Live deferrals');
    const mail = { port: postfix.smtpPort, from: 'invoices@supplier.example', to: 'accounts@greyward.test' };

    const first = await sendMail(mail);
    expect(rcptReply(first.transcript), first.transcript + debug()).toEqual({
      code: 450,
      text: '4.7.1 <accounts@greyward.test>: Recipient address rejected: Greylisted, try again in 300 seconds',
    });
    expect(first.exitCode).toBe(24); // swaks: no recipient accepted

    // The deferral Postfix just got is on the screen: Postfix's client (swaks on 127.0.0.1, no reverse name), sender, recipient.
    const row = liveRow(page, mail.from);
    await row.waitFor({ timeout: 2000 });
    const cells = await row.locator(':scope > span').allInnerTexts();
    expect(cells.slice(1, 5)).toEqual(['127.0.0.1 unknown name', mail.from, mail.to, '1']);

    await row.click();
    const detail = page.getByRole('complementary', { name: 'Selected attempt' });
    expect(await fact(detail, 'Client').innerText()).toContain('HELO client.example.org');
    await detail.getByRole('button', { name: 'Pass now', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Pass this triplet now?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(mail.from);
    await dialog.getByRole('button', { name: 'Pass now', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: /Triplet #\d+ passed: the next retry is accepted\./ }).waitFor();
    await expect.poll(() => detail.getByText(/^passed$/).count()).toBe(1); // the triplet summary in the panel

    // The sender's MTA retries (well inside the 5-minute delay): accepted and delivered.
    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.finalCode).toBe(250);
    expect(second.exitCode).toBe(0);
    const [message = ''] = await postfix.waitForDelivery(1, 10_000);
    expect(message).toMatch(/^Delivered-To: accounts@greyward\.test$/m);

    // The Greylist screen agrees: one passed triplet with both attempts.
    await openScreen(page, 'Greylist');
    await page.getByRole('searchbox', { name: 'Search triplets' }).fill(mail.from);
    await expect.poll(() => page.locator('.toolbar-info').innerText()).toMatch(/^1 triplet · page in \d+ ms$/);
    const triplets = page.getByRole('grid', { name: 'Triplets' }).getByRole('row').filter({ hasText: mail.from });
    await expect.poll(() => triplets.count()).toBe(1);
    // The row can be on the screen a frame before its cells are filled in.
    await expect.poll(async () => (await triplets.getByRole('gridcell').allInnerTexts())[1]).toBe('passed');
    const tripletCells = await triplets.getByRole('gridcell').allInnerTexts();
    expect(tripletCells[2]).toBe('127.0.0.0/24');
    expect(tripletCells[7]).toBe('2');
    await page.close();
  });
});
