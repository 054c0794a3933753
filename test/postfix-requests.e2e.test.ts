// Requests a real Postfix sends that are not the plain RCPT case: the real `greyward filter`
// daemon (the CLI, as a child process) behind Debian's Postfix configured as some sites run it.
//
//   smtpd_delay_reject = no, check_policy_service in smtpd_client_restrictions: Postfix asks at
//   CONNECT, with no sender and no recipient, before it even sends its banner.
//   smtputf8_enable = no: Postfix passes an 8-bit envelope address through as raw bytes.
//
// Real waiting: the delay is 2 s, and a retry is sent 2.3 s after the first attempt returned.
// Needs root, Debian's postfix and swaks; without them the suite fails under CI=true and is
// skipped otherwise. Build first (`npx tsc -b`): the daemon runs from out/.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greywardOk as greyward, startDaemon, type DaemonProcess } from './support/greyward-process.js';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { rcptReply, sendMail, swaksAvailable, type SendMailOptions } from './support/swaks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_CLI = path.join(ROOT, 'out', 'main', 'cli', 'index.js');
const DELAY_S = 2;
const RETRY_AFTER_MS = DELAY_S * 1000 + 300;

const missing = missingOf([postfixAvailable(), swaksAvailable()]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Greyward answers the other requests a real Postfix sends', () => {
  if (!prerequisitesMet(missing)) return;

  let dir = '';
  let daemon: DaemonProcess | undefined;
  let postfix: PostfixInstance | undefined;
  const debug = () => `\n--- Postfix maillog\n${postfix?.mailLog() ?? ''}--- daemon stderr\n${daemon?.stderr() ?? ''}`;

  /** Sends, waits out the delay, sends again: the first RCPT must be greylisted, the retry accepted and delivered. */
  async function greylistedThenDelivered(mail: SendMailOptions, delivered: number): Promise<string> {
    const first = await sendMail(mail);
    const firstDone = Date.now();
    expect(first.transcript, debug()).toMatch(/^<- {2}220 /m);
    expect(rcptReply(first.transcript), first.transcript + debug()).toMatchObject({ code: 450, text: expect.stringMatching(/Greylisted, try again in 2 seconds$/) });
    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.exitCode).toBe(0);
    const messages = await postfix!.waitForDelivery(delivered, 10_000);
    return messages.at(-1) ?? '';
  }

  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} missing: run \`npx tsc -b\` before this suite`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'greyward-e2e-requests-'));
    const db = path.join(dir, 'greyward.db');
    await greyward('settings', 'set', 'delay', `${DELAY_S}s`, '--db', db);
    await greyward('settings', 'set', 'autoAllowAfter', '0', '--db', db);
    daemon = await startDaemon(['--db', db, '--listen', '127.0.0.1:0', '--debug']);
    const address = /^ready tcp=(127\.0\.0\.1:\d+)$/.exec(daemon.readyLine)?.[1];
    if (!address) throw new Error(`unexpected ready line ${JSON.stringify(daemon.readyLine)}`);
    const policy = `check_policy_service inet:${address}`;
    postfix = await startPostfix({
      policyService: `inet:${address}`,
      mainCf: { smtpd_delay_reject: 'no', smtpd_client_restrictions: policy, smtputf8_enable: 'no' },
    });
  });

  afterAll(async () => {
    // Postfix first (its smtpd processes hold policy connections), then the daemon, both by PID.
    await postfix?.stop();
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the CONNECT-stage request from smtpd_client_restrictions (no sender, no recipient) DUNNO: mail flows and is greylisted at RCPT', async () => {
    const message = await greylistedThenDelivered({ port: postfix!.smtpPort, from: 'alice@example.org', to: 'bob@greyward.test' }, 1);
    expect(message).toMatch(/^X-Greylist: delayed [23] seconds by Greyward-/m);
    // Logged at debug level only, and not recorded as a decision.
    expect(daemon!.stderr()).toMatch(/^debug: not greylisted \(stage CONNECT\), answered DUNNO: client=127\.0\.0\.1\[unknown\] sender=<> recipient=<>$/m);
    // A decision's line is logged once it is recorded, which may come after Postfix has the answer.
    await expect.poll(() => daemon!.decisions().map((d) => [d.sender, d.action, d.reason])).toEqual([
      ['alice@example.org', 'defer', 'new'],
      ['alice@example.org', 'pass', 'passed'],
    ]);
    expect(postfix!.mailLog()).not.toMatch(/problem talking to server|Server configuration problem/);
  });

  it('greylists an 8-bit sender that Postfix passes through as raw bytes (smtputf8_enable = no), and accepts its retry', async () => {
    const from = Buffer.from('j\xfcrg@example.org', 'latin1');
    await greylistedThenDelivered({ port: postfix!.smtpPort, from, to: 'carol@greyward.test' }, 2);
    const decisions = () => daemon!.decisions().filter((d) => d.recipient === 'carol@greyward.test');
    await expect.poll(() => decisions().map((d) => [d.sender, d.action, d.reason])).toEqual([
      ['j\u00fcrg@example.org', 'defer', 'new'],
      ['j\u00fcrg@example.org', 'pass', 'passed'],
    ]);
    expect(daemon!.stderr()).not.toMatch(/^(warning|error):/m);
    expect(postfix!.mailLog()).not.toMatch(/problem talking to server|Server configuration problem/);
  });
});
