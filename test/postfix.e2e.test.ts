// Greyward end to end: Debian's real Postfix asks the real `greyward filter` daemon (the CLI,
// as a child process) about every RCPT TO, and swaks sends the mail.
//
//   TCP:  Postfix A --check_policy_service inet:127.0.0.1:PORT--> daemon A (its own database)
//   UNIX: Postfix B --check_policy_service unix:/abs/path-------> daemon B (its own database)
//
// Daemon A sees, in order: a greylisted first attempt (defer), its retry after the delay (pass,
// with the X-Greylist header in the delivered mail), an allow-listed client (allow, list entry
// added through the CLI while the daemon runs) and a deny-listed sender (reject). Daemon B
// greylists and then passes one message over the UNIX socket, accepts mail to postmaster@ at
// once (a default of a new database), and passes a message to three recipients with one
// X-Greylist header. Each daemon has its own database so that A's allow entry for 127.0.0.1
// cannot decide B's case.
//
// Real waiting: the delay is 2 s and Greyward compares whole seconds, so a retry sent 2.3 s
// after the first attempt returned is always past the delay (three times).
//
// UNIX socket: the path is absolute (SMTPD_POLICY_README: "unix:/some/where/policy" is an
// absolute pathname, "unix:private/policy" is relative to queue_directory). smtpd runs as
// the postfix user: the socket's directory is made 0755, and the daemon's default socket mode
// (0666, like postgrey's) lets smtpd connect without further set-up.
//
// Needs root, Debian's postfix and swaks; without them the suite fails under CI=true and
// is skipped otherwise. Build first (`npx tsc -b`): the daemon runs from out/.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { greywardOk as greyward, startDaemon, type DaemonProcess } from './support/greyward-process.js';
import { rcptReplies, rcptReply, sendMail, swaksAvailable } from './support/swaks.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_CLI = path.join(ROOT, 'out', 'main', 'cli', 'index.js');
const DELAY_S = 2;
const RETRY_AFTER_MS = DELAY_S * 1000 + 300;

const missing = missingOf([postfixAvailable(), swaksAvailable()]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, debug: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${debug()}`);
    await sleep(25);
  }
}

const daemons: DaemonProcess[] = [];
const postfixes: PostfixInstance[] = [];

describe('Greyward as the policy service of a real Postfix', () => {
  if (!prerequisitesMet(missing)) return;

  let dir = '';
  let tcpDb = '';
  let socketPath = '';
  let tcp: { daemon: DaemonProcess; postfix: PostfixInstance } | undefined;
  let unix: { daemon: DaemonProcess; postfix: PostfixInstance } | undefined;

  const debug = (): string =>
    [
      tcp && `\n--- Postfix A maillog\n${tcp.postfix.mailLog()}--- daemon A stderr\n${tcp.daemon.stderr()}`,
      unix && `\n--- Postfix B maillog\n${unix.postfix.mailLog()}--- daemon B stderr\n${unix.daemon.stderr()}`,
    ]
      .filter(Boolean)
      .join('');

  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} missing: run \`npx tsc -b\` before this suite`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'greyward-e2e-'));
    chmodSync(dir, 0o755); // smtpd (user postfix) must reach the socket inside
    tcpDb = path.join(dir, 'tcp.db');
    const unixDb = path.join(dir, 'unix.db');
    socketPath = path.join(dir, 'policy.sock');

    // Two independent chains, run side by side: settings -> daemon -> Postfix.
    const tcpChain = async () => {
      await greyward('settings', 'set', 'delay', `${DELAY_S}s`, '--db', tcpDb);
      // One pass must not auto-allow 127.0.0.0/24 for the cases after it.
      await greyward('settings', 'set', 'autoAllowAfter', '0', '--db', tcpDb);
      await greyward('lists', 'add', 'deny', 'sender-address', 'spam@bad.example', '--db', tcpDb);
      const daemon = await startDaemon(['--db', tcpDb, '--listen', '127.0.0.1:0']);
      daemons.push(daemon);
      const address = /^ready tcp=(127\.0\.0\.1:\d+)$/.exec(daemon.readyLine)?.[1];
      if (!address) throw new Error(`unexpected ready line ${JSON.stringify(daemon.readyLine)}`);
      const postfix = await startPostfix({ policyService: `inet:${address}` });
      postfixes.push(postfix);
      tcp = { daemon, postfix };
    };
    const unixChain = async () => {
      await greyward('settings', 'set', 'delay', `${DELAY_S}s`, '--db', unixDb);
      await greyward('settings', 'set', 'autoAllowAfter', '0', '--db', unixDb);
      const daemon = await startDaemon(['--db', unixDb, '--socket', socketPath]);
      daemons.push(daemon);
      expect(daemon.readyLine).toBe(`ready unix=${socketPath}`);
      // smtpd runs as user postfix: the default socket mode (0666, as postgrey's) must let it in.
      expect(statSync(socketPath).mode & 0o777).toBe(0o666);
      const postfix = await startPostfix({ policyService: `unix:${socketPath}` });
      postfixes.push(postfix);
      unix = { daemon, postfix };
    };
    const results = await Promise.allSettled([tcpChain(), unixChain()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });

  afterAll(async () => {
    // Postfix first (its smtpd processes hold policy connections), then the daemons, all by PID.
    await Promise.all(postfixes.map((p) => p.stop()));
    await Promise.all(daemons.map((d) => d.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('over TCP: greylists the first attempt at RCPT (450), accepts and delivers the retry with X-Greylist', async () => {
    const { postfix } = tcp!;
    const mail = { port: postfix.smtpPort, from: 'alice@example.org', to: 'bob@greyward.test' };

    const first = await sendMail(mail);
    const firstDone = Date.now();
    const firstRcpt = rcptReply(first.transcript);
    expect(firstRcpt?.code, first.transcript + debug()).toBe(450);
    expect(firstRcpt?.text).toBe(`4.7.1 <bob@greyward.test>: Recipient address rejected: Greylisted, try again in ${DELAY_S} seconds`);
    expect(first.exitCode).toBe(24); // swaks: no recipient accepted
    // postlogd writes the log a moment after smtpd replied.
    await expect.poll(() => postfix.mailLog(), { timeout: 5000 }).toMatch(/NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 450 4\.7\.1 <bob@greyward\.test>: Recipient address rejected: Greylisted, try again in 2 seconds;/);

    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.finalCode).toBe(250);
    expect(second.exitCode).toBe(0);

    const delivered = await postfix.waitForDelivery(1, 10_000);
    expect(delivered).toHaveLength(1);
    const message = delivered[0] ?? '';
    expect(message).toMatch(/^Delivered-To: bob@greyward\.test$/m);
    const headers = message.split(/\r?\n\r?\n/)[0] ?? '';
    const greylist = headers.match(/^X-Greylist: .*$/gm) ?? [];
    expect(greylist, headers).toHaveLength(1);
    expect(greylist[0]).toMatch(/^X-Greylist: delayed [23] seconds by Greyward-\d+\.\d+\.\d+; \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('over TCP: a client allow-listed through the CLI while the daemon runs passes at once and is delivered', async () => {
    const { postfix, daemon } = tcp!;
    const who = ['--client-address', '127.0.0.1', '--sender', 'carol@example.org', '--recipient', 'dave@greyward.test', '--json'];
    expect(JSON.parse(await greyward('check', '--db', tcpDb, ...who))).toMatchObject({ action: 'defer', reason: 'new' });

    await greyward('lists', 'add', 'allow', 'client-address', '127.0.0.1', '--comment', 'e2e', '--db', tcpDb);
    expect(JSON.parse(await greyward('check', '--db', tcpDb, ...who))).toMatchObject({ action: 'allow', reason: 'allow-list' });
    // The running daemon looks for changes every 250 ms and says so when it picks one up.
    // Beside the two defaults of a new database (postmaster@, abuse@).
    await waitFor('daemon A reloads the allow entry', () => /policy reloaded \(version \d+\): allow=3 /.test(daemon.stderr()), 2_000, debug);

    const sent = await sendMail({ port: postfix.smtpPort, from: 'carol@example.org', to: 'dave@greyward.test' });
    expect(rcptReply(sent.transcript)?.code, sent.transcript + debug()).toBe(250);
    expect(sent.exitCode).toBe(0);
    const delivered = await postfix.waitForDelivery(2, 10_000);
    const message = delivered.find((m) => /^Delivered-To: dave@greyward\.test$/m.test(m));
    expect(message, debug()).toBeDefined();
    expect(message).not.toMatch(/^X-Greylist:/m);
  });

  it('over TCP: a deny-listed sender is rejected with 554 5.7.1 (deny wins over the allow entry)', async () => {
    const { postfix } = tcp!;
    const sent = await sendMail({ port: postfix.smtpPort, from: 'spam@bad.example', to: 'erin@greyward.test' });
    const reply = rcptReply(sent.transcript);
    expect(reply?.code, sent.transcript + debug()).toBe(554);
    expect(reply?.text).toBe('5.7.1 <erin@greyward.test>: Recipient address rejected: Rejected by local policy');
    expect(sent.exitCode).toBe(24);
    // postlogd writes the log a moment after smtpd replied.
    await expect.poll(() => postfix.mailLog(), { timeout: 5000 }).toMatch(/NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 <erin@greyward\.test>: Recipient address rejected: Rejected by local policy;/);
    await sleep(300); // nothing may arrive
    expect(postfix.deliveredMessages()).toHaveLength(2);
  });

  it('over TCP: the daemon logged one decision line per RCPT, with the matching action', async () => {
    const { daemon } = tcp!;
    // Decision lines are written once their batch is committed, a moment after the answer.
    const decisions = await waitFor('four decision lines', () => daemon.decisions().length >= 4 && daemon.decisions(), 2_000, debug);
    expect(decisions.map(({ line: _line, ...rest }) => rest)).toEqual([
      { client: '127.0.0.1[unknown]', sender: 'alice@example.org', recipient: 'bob@greyward.test', action: 'defer', reason: 'new', delay: '2' },
      { client: '127.0.0.1[unknown]', sender: 'alice@example.org', recipient: 'bob@greyward.test', action: 'pass', reason: 'passed', delay: expect.stringMatching(/^[23]$/) },
      { client: '127.0.0.1[unknown]', sender: 'carol@example.org', recipient: 'dave@greyward.test', action: 'allow', reason: 'allow-list', delay: '-' },
      { client: '127.0.0.1[unknown]', sender: 'spam@bad.example', recipient: 'erin@greyward.test', action: 'reject', reason: 'deny-list', delay: '-' },
    ]);
    for (const { line } of decisions) expect(line).toMatch(/^decision queue_id=\S+ client=\S+ helo=client\.example\.org sender=<[^>]*> recipient=<[^>]*> action=\w+ reason=\S+ delay=\S+ rule=".*"$/);
    expect(daemon.stderr()).not.toMatch(/^(error|warning):/m);
  });

  it('over a UNIX socket: greylists the first attempt, accepts and delivers the retry', async () => {
    const { postfix, daemon } = unix!;
    expect(statSync(socketPath).isSocket()).toBe(true);
    const mail = { port: postfix.smtpPort, from: 'frank@example.org', to: 'grace@greyward.test' };

    const first = await sendMail(mail);
    const firstDone = Date.now();
    const firstRcpt = rcptReply(first.transcript);
    expect(firstRcpt?.code, first.transcript + debug()).toBe(450);
    expect(firstRcpt?.text).toBe(`4.7.1 <grace@greyward.test>: Recipient address rejected: Greylisted, try again in ${DELAY_S} seconds`);

    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.exitCode).toBe(0);
    const [message = ''] = await postfix.waitForDelivery(1, 10_000);
    expect(message).toMatch(/^Delivered-To: grace@greyward\.test$/m);
    expect(message).toMatch(/^X-Greylist: delayed \d+ seconds by Greyward-/m);

    const decisions = await waitFor('two decision lines on daemon B', () => daemon.decisions().length >= 2 && daemon.decisions(), 2_000, debug);
    expect(decisions.map((d) => [d.client, d.sender, d.recipient, d.action, d.reason])).toEqual([
      ['127.0.0.1[unknown]', 'frank@example.org', 'grace@greyward.test', 'defer', 'new'],
      ['127.0.0.1[unknown]', 'frank@example.org', 'grace@greyward.test', 'pass', 'passed'],
    ]);
    // Postfix B really asked daemon B: daemon A saw nothing of it.
    expect(tcp!.daemon.decisions().some((d) => d.sender === 'frank@example.org')).toBe(false);
    expect(postfix.mailLog()).not.toMatch(/warning: .*policy/i);
  });

  it('over a UNIX socket: mail to postmaster@ on a new database is accepted at once, without a header', async () => {
    const { postfix, daemon } = unix!;
    const sent = await sendMail({ port: postfix.smtpPort, from: 'heidi@example.org', to: 'postmaster@greyward.test' });
    expect(rcptReply(sent.transcript)?.code, sent.transcript + debug()).toBe(250);
    expect(sent.exitCode).toBe(0);
    const delivered = await postfix.waitForDelivery(2, 10_000);
    const message = delivered.find((m) => /^Delivered-To: postmaster@greyward\.test$/m.test(m));
    expect(message, debug()).toBeDefined();
    expect(message).not.toMatch(/^X-Greylist:/m);
    const decisions = await waitFor('the decision about postmaster@', () => daemon.decisions().find((d) => d.recipient === 'postmaster@greyward.test'), 2_000, debug);
    expect(decisions).toMatchObject({ action: 'allow', reason: 'allow-list' });
    expect(decisions.line).toMatch(/rule="allow recipient-user postmaster@ \(#\d+\)"$/);
  });

  it('over a UNIX socket: a message to three recipients, greylisted for each, is delivered with one X-Greylist header', async () => {
    const { postfix } = unix!;
    const recipients = ['ivan@greyward.test', 'judy@greyward.test', 'mallory@greyward.test'];
    const mail = { port: postfix.smtpPort, from: 'oscar@example.org', to: recipients.join(',') };
    const first = await sendMail(mail);
    const firstDone = Date.now();
    expect(rcptReplies(first.transcript).map((r) => r.code), first.transcript + debug()).toEqual([450, 450, 450]);

    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const before = postfix.deliveredMessages().length;
    const second = await sendMail(mail);
    expect(rcptReplies(second.transcript).map((r) => r.code), second.transcript + debug()).toEqual([250, 250, 250]);
    expect(second.exitCode).toBe(0);
    const delivered = (await postfix.waitForDelivery(before + 3, 10_000)).filter((m) => /^Return-Path: <oscar@example\.org>$/m.test(m));
    expect(delivered.map((m) => /^Delivered-To: (.*)$/m.exec(m)?.[1]).sort()).toEqual(recipients);
    for (const message of delivered) {
      const headers = message.split(/\r?\n\r?\n/)[0] ?? '';
      expect(headers.match(/^X-Greylist: .*$/gm), headers).toEqual([expect.stringMatching(/^X-Greylist: delayed \d+ seconds by Greyward-/)]);
    }
  });

  it('both daemons drain and exit 0 on SIGTERM while Postfix still holds its policy connections', async () => {
    const [a, b] = await Promise.all([tcp!.daemon.stop(), unix!.daemon.stop()]);
    expect(a, tcp!.daemon.stderr()).toMatchObject({ code: 0, signal: null });
    expect(b, unix!.daemon.stderr()).toMatchObject({ code: 0, signal: null });
    expect(tcp!.daemon.stderr()).toMatch(/info: SIGTERM: answering the requests in flight, then exiting/);
    expect(existsSync(socketPath)).toBe(false); // the daemon removes its socket
  });
});
