// Proves test/support/postfix.ts and swaks.ts end to end: a private Postfix asks Debian's
// real postgrey about each recipient; the first attempt is greylisted (450), the retry
// after postgrey's delay is accepted (250) and delivered into the instance's mailDir.
//
// Real waiting: postgrey compares whole seconds (time()), so a retry sent more than
// `delay` seconds after the first attempt returned is always past the delay.

import { spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants as fsConstants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from './free-port.js';
import { postfixAvailable, startPostfix, type PostfixInstance } from './postfix.js';
import { finalReplyCode, parseTranscript, rcptReply, sendMail, swaksAvailable } from './swaks.js';
import { missingOf, prerequisitesMet, type Availability } from './prerequisites.js';

const POSTGREY = '/usr/sbin/postgrey';
const GREYLIST_DELAY_S = 2;

function postgreyAvailable(): Availability {
  try {
    accessSync(POSTGREY, fsConstants.X_OK);
    return { ok: true };
  } catch {
    return { ok: false, why: `${POSTGREY} not found (Debian: apt-get install postgrey)` };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function idOf(file: string, name: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const id = line?.split(':')[2];
  if (id === undefined) throw new Error(`no ${name} in ${file} (is postgrey installed?)`);
  return Number(id);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Postgrey {
  port: number;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** Debian's postgrey in the foreground, as our child, with its own database and no whitelists. */
async function startPostgrey(port: number, delaySeconds: number): Promise<Postgrey> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greyward-postgrey-'));
  chmodSync(dir, 0o755); // mkdtemp makes it 0700; the postgrey user must reach db/
  const dbDir = path.join(dir, 'db');
  const emptyList = path.join(dir, 'empty-whitelist');
  writeFileSync(emptyList, '', { mode: 0o644 });
  // postgrey binds as root, then runs as the postgrey user: the database directory is its own.
  mkdirSync(dbDir, { mode: 0o750 });
  chownSync(dbDir, idOf('/etc/passwd', 'postgrey'), idOf('/etc/group', 'postgrey'));

  let output = '';
  const child = spawn(
    POSTGREY,
    [
      `--inet=127.0.0.1:${port}`,
      `--delay=${delaySeconds}`,
      `--dbdir=${dbDir}`,
      `--pidfile=${path.join(dbDir, 'postgrey.pid')}`,
      '--user=postgrey',
      '--group=postgrey',
      '--hostname=harness.localdomain',
      // Deterministic: no system whitelist entries, no auto-whitelisting of 127.0.0.1.
      `--whitelist-clients=${emptyList}`,
      `--whitelist-recipients=${emptyList}`,
      '--auto-whitelist-clients=0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }, // no --daemonize: it stays our child
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      output += `spawn error: ${err.message}\n`;
      exited = true;
      resolve();
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (!exited && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM');
        const done = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
        if (!done && !exited) {
          process.kill(child.pid, 'SIGKILL');
          await exit;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`postgrey did not start on 127.0.0.1:${port}\n${output}`);
    }
    await sleep(50);
  }
  return { port, pid: child.pid as number, log: () => output, stop };
}

const missing = missingOf([postfixAvailable(), swaksAvailable(), postgreyAvailable()]);

describe('swaks transcript parsing', () => {
  const greylisted = [
    '=== Trying 127.0.0.1:25871...',
    '=== Connected to 127.0.0.1.',
    '<-  220 harness.localdomain ESMTP Postfix',
    ' -> EHLO client.example',
    '<-  250-harness.localdomain',
    '<-  250 CHUNKING',
    ' -> MAIL FROM:<alice@example.org>',
    '<-  250 2.1.0 Ok',
    ' -> RCPT TO:<bob@greyward.test>',
    '<** 450 4.2.0 <bob@greyward.test>: Recipient address rejected: Greylisted, see http://example/',
    ' -> QUIT',
    '<-  221 2.0.0 Bye',
    '=== Connection closed with remote host.',
  ].join('\n');

  it('finds the RCPT reply and the code that ended the transaction', () => {
    expect(rcptReply(greylisted)).toEqual({
      code: 450,
      text: '4.2.0 <bob@greyward.test>: Recipient address rejected: Greylisted, see http://example/',
    });
    expect(finalReplyCode(greylisted)).toBe(450);
    const exchanges = parseTranscript(greylisted);
    expect(exchanges.map((x) => x.reply.code)).toEqual([220, 250, 250, 450, 221]);
    expect(exchanges[1]?.reply.text).toBe('harness.localdomain\nCHUNKING');
    expect(exchanges[3]?.unexpected).toBe(true);
  });

  it('reports the end-of-data reply for an accepted message', () => {
    const accepted = [
      '<-  220 ready',
      ' -> RCPT TO:<bob@greyward.test>',
      '<-  250 2.1.5 Ok',
      ' -> DATA',
      '<-  354 End data with <CR><LF>.<CR><LF>',
      ' -> Subject: x',
      ' -> ',
      ' -> .',
      '<-  250 2.0.0 Ok: queued as 94DF120C3BF',
      ' -> QUIT',
      '<-  221 2.0.0 Bye',
    ].join('\r\n');
    expect(rcptReply(accepted)?.code).toBe(250);
    expect(finalReplyCode(accepted)).toBe(250);
    expect(finalReplyCode('*** Error connecting to 127.0.0.1:1:')).toBeUndefined();
  });
});

describe('private Postfix harness with Debian postgrey as the policy service', () => {
  if (!prerequisitesMet(missing)) return;

  let postgrey: Postgrey | undefined;
  let postfix: PostfixInstance | undefined;

  beforeAll(async () => {
    const policyPort = await freeLoopbackPort();
    // Both start at once: Postfix only connects to the policy service on the first RCPT.
    const [pg, pf] = await Promise.allSettled([
      startPostgrey(policyPort, GREYLIST_DELAY_S),
      startPostfix({ policyService: `inet:127.0.0.1:${policyPort}` }),
    ]);
    if (pg.status === 'fulfilled') postgrey = pg.value;
    if (pf.status === 'fulfilled') postfix = pf.value;
    if (pg.status === 'rejected') throw pg.reason;
    if (pf.status === 'rejected') throw pf.reason;
  });

  afterAll(async () => {
    await Promise.all([postfix?.stop(), postgrey?.stop()]);
  });

  it('greylists the first attempt at RCPT, accepts and delivers the retry', async () => {
    const pf = postfix!;
    const pg = postgrey!;
    const debug = (): string => `\n--- maillog\n${pf.mailLog()}--- postgrey\n${pg.log()}`;
    const mail = { port: pf.smtpPort, from: 'alice@example.org', to: 'bob@greyward.test', helo: 'client.example.org' };

    const first = await sendMail(mail);
    const firstRcpt = rcptReply(first.transcript);
    expect(firstRcpt?.code, first.transcript + debug()).toBe(450);
    expect(firstRcpt?.text).toMatch(/Greylisted/);
    expect(first.finalCode).toBe(450);
    expect(first.exitCode).toBe(24); // swaks: no RCPT accepted
    await expect.poll(() => pf.mailLog(), { timeout: 5000 }).toMatch(/NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: 450 .*Greylisted/);
    expect(pf.deliveredMessages()).toEqual([]);

    await sleep(GREYLIST_DELAY_S * 1000 + 300);

    const second = await sendMail(mail);
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.finalCode).toBe(250);
    expect(second.exitCode).toBe(0);

    const delivered = await pf.waitForDelivery(1, 10_000);
    expect(delivered).toHaveLength(1);
    const message = delivered[0] ?? '';
    expect(message).toMatch(/^To: bob@greyward\.test$/m);
    expect(message).toMatch(/^Delivered-To: bob@greyward\.test$/m);
    expect(message).toMatch(/^X-Greylist: delayed \d+ seconds by postgrey/m); // postgrey's PREPEND
    expect(pg.log()).toMatch(/action=greylist, reason=new/);
    expect(pg.log()).toMatch(/action=pass, reason=triplet found/);
  });
});
