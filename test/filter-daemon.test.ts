import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFilter, type FilterDaemonOptions, type RunningFilter } from '../main/filter/daemon.js';
import { memoryLog } from '../main/filter/log.js';
import { openDatabase } from '../main/store/database.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { askOnce, encodeRequest, PolicyClient, rcpt, type Endpoint } from './support/policy-client.js';

const T0 = 1_800_000_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-daemon-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real filter on real sockets with a fake clock the test moves. */
async function filter(over: Partial<FilterDaemonOptions> = {}, prepare?: (store: SqliteStore) => Promise<void>) {
  const dir = tempDir();
  const db = join(dir, 'greyward.db');
  const admin = new SqliteStore(openDatabase(db));
  cleanups.push(() => admin.close());
  await prepare?.(admin);
  const clock = { now: T0 };
  const log = memoryLog();
  const running: RunningFilter = await startFilter({ db, listen: '127.0.0.1:0', socket: join(dir, 'policy.sock'), log, clock: () => clock.now, ...over });
  cleanups.push(() => running.stop());
  const tcp: Endpoint = { port: Number(running.endpoints.tcp!.split(':').at(-1)) };
  const unix: Endpoint = { path: running.endpoints.unix! };
  return { db, admin, clock, log, running, tcp, unix };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('the filter over real sockets', () => {
  it.each(['tcp', 'unix'] as const)('greylists over %s: defer, then pass after the delay, with one log line per decision', async (via) => {
    const f = await filter();
    const endpoint = f[via];
    expect(await askOnce(endpoint, rcpt({ queue_id: 'ABC123' }))).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');
    f.clock.now += 60;
    expect(await askOnce(endpoint, rcpt())).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 240 seconds');
    f.clock.now += 240;
    expect(await askOnce(endpoint, rcpt())).toMatch(/^PREPEND X-Greylist: delayed 300 seconds by Greyward-/);
    expect(await askOnce(endpoint, rcpt({ protocol_state: 'DATA' }))).toBe('DUNNO');
    await f.running.service.settle();
    const decisions = f.log.lines.filter((line) => line.startsWith('decision '));
    expect(decisions[0]).toBe(
      'decision queue_id=ABC123 client=192.0.2.10[mail.example.com] helo=mail.example.com sender=<alice@example.com> recipient=<bob@example.net> action=defer reason=new delay=300 rule="triplet 192.0.2.0/24 alice@example.com bob@example.net"',
    );
    expect(decisions.map((line) => /reason=(\S+)/.exec(line)?.[1])).toEqual(['new', 'early', 'passed']);
    const rows = f.admin.db.prepare('SELECT action, reason, delay FROM attempt_view ORDER BY id').all();
    expect(rows).toEqual([
      { action: 'defer', reason: 'new', delay: 300 },
      { action: 'defer', reason: 'early', delay: 240 },
      { action: 'pass', reason: 'passed', delay: 300 },
    ]);
  });

  it('adds the X-Greylist header once per message, however many of its recipients pass', async () => {
    const f = await filter();
    const client = await PolicyClient.connect(f.tcp);
    // As Postfix asks about one message: the same instance for each RCPT TO; the queue id appears after the first.
    const message = (instance: string, recipients: string[]) =>
      recipients.map((recipient, i) => client.ask(rcpt({ instance, recipient, queue_id: i === 0 ? '' : `Q${instance}` })));
    const recipients = ['bob@example.net', 'carol@example.net', 'dave@example.net'];
    expect((await Promise.all(message('1a2b.3c4d.1', recipients))).every((reply) => reply.startsWith('DEFER_IF_PERMIT'))).toBe(true);
    f.clock.now += 300;
    const retry = await Promise.all(message('1a2b.3c4d.2', recipients));
    expect(retry.filter((reply) => reply.startsWith('PREPEND X-Greylist: delayed 300 seconds'))).toHaveLength(1);
    expect(retry.filter((reply) => reply === 'DUNNO')).toHaveLength(2);
    // Another message, and another client with the same instance text: each its own header.
    f.clock.now += 1;
    await askOnce(f.tcp, rcpt({ instance: 'a.b.1', client_address: '198.51.100.1', recipient: 'erin@example.net' }));
    await askOnce(f.tcp, rcpt({ instance: 'a.b.1', client_address: '203.0.113.1', recipient: 'erin@example.net' }));
    f.clock.now += 300;
    expect(await askOnce(f.tcp, rcpt({ instance: 'a.b.2', client_address: '198.51.100.1', recipient: 'erin@example.net' }))).toMatch(/^PREPEND X-Greylist/);
    expect(await askOnce(f.tcp, rcpt({ instance: 'a.b.2', client_address: '203.0.113.1', recipient: 'erin@example.net' }))).toMatch(/^PREPEND X-Greylist/);
    // A client that names no message (not Postfix) gets the header with every first pass, as postgrey does.
    await askOnce(f.tcp, rcpt({ client_address: '192.0.2.200', sender: 'frank@example.org' }));
    await askOnce(f.tcp, rcpt({ client_address: '192.0.2.200', sender: 'frank@example.org', recipient: 'carol@example.net' }));
    f.clock.now += 300;
    expect(await askOnce(f.tcp, rcpt({ client_address: '192.0.2.200', sender: 'frank@example.org' }))).toMatch(/^PREPEND X-Greylist/);
    expect(await askOnce(f.tcp, rcpt({ client_address: '192.0.2.200', sender: 'frank@example.org', recipient: 'carol@example.net' }))).toMatch(/^PREPEND X-Greylist/);
    client.socket.destroy();
  });

  it('answers many requests per connection and many connections at once, each in order', async () => {
    const f = await filter();
    const clients = await Promise.all(Array.from({ length: 32 }, () => PolicyClient.connect(f.tcp)));
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < 40; i++) {
          const reply = await client.ask(rcpt({ client_address: `10.${c}.${i}.1`, recipient: `user${i}@example.net` }));
          expect(reply).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');
        }
      }),
    );
    // Pipelined: several requests written at once are answered in the order asked.
    const pipelined = clients[0]!;
    const replies = await Promise.all([pipelined.ask(rcpt({ protocol_state: 'DATA' })), pipelined.ask(rcpt({ client_address: '10.99.0.1' })), pipelined.ask(rcpt({ protocol_state: 'END-OF-MESSAGE' }))]);
    expect(replies).toEqual(['DUNNO', 'DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds', 'DUNNO']);
    for (const client of clients) client.close();
    await f.running.service.settle();
    expect(f.admin.db.prepare('SELECT count(*) FROM triplets').pluck().get()).toBe(32 * 40 + 1);
  });

  it('applies a list entry written by another process within a second, without a restart', async () => {
    const f = await filter({}, async () => undefined);
    expect(await askOnce(f.tcp, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    const other = new SqliteStore(openDatabase(f.db));
    await other.addEntries([{ list: 'allow', kind: 'client-address', pattern: '192.0.2.0/24', comment: 'partner' }], T0);
    await other.close();
    const took = await waitUntil(async () => (await askOnce(f.tcp, rcpt())) === 'DUNNO', 1000);
    expect(took).toBeLessThan(1000);
    expect(f.log.lines.some((line) => line.startsWith('info: policy reloaded'))).toBe(true);
  });

  it('applies a setting written by another process within a second', async () => {
    const f = await filter();
    await f.admin.setSetting('deferReply', 'Come back in {seconds}s', T0);
    await waitUntil(async () => (await askOnce(f.tcp, rcpt({ recipient: `r${Math.random()}@example.net` }))).endsWith('Come back in 300s'), 1000);
  });

  it('refuses a client outside allowedClients', async () => {
    const f = await filter({}, (store) => store.setSetting('allowedClients', ['192.0.2.0/24'], T0));
    const client = await PolicyClient.connect(f.tcp);
    await expect(client.ask(rcpt())).rejects.toThrow(/closed without an answer/);
    expect(f.log.lines.join('\n')).toMatch(/refused connection from 127\.0\.0\.1: not in allowedClients/);
    // The UNIX socket is governed by file permissions, not by address.
    expect(await askOnce(f.unix, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    await f.admin.setSetting('allowedClients', ['127.0.0.0/8'], T0);
    await waitUntil(async () => (await askOnce(f.tcp, rcpt()).catch(() => 'refused')) !== 'refused', 1000);
  });
});

/** A request as Postfix would send it, with some attributes left out. */
const without = (attributes: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(Object.entries(attributes).filter(([name]) => !names.includes(name)));

describe('valid requests Greyward does not greylist: DUNNO on the same connection, logged at debug', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    // check_policy_service in smtpd_client_restrictions with smtpd_delay_reject = no
    ['a CONNECT-stage request, without sender or recipient', rcpt({ protocol_state: 'CONNECT', protocol_name: 'SMTP', helo_name: '', sender: '', recipient: '' }), /stage CONNECT/],
    ['a request without protocol_state', without(rcpt(), 'protocol_state'), /stage unknown/],
    ['a RCPT request without a recipient', without(rcpt(), 'recipient'), /no recipient/],
    ['a RCPT request with an empty recipient', rcpt({ recipient: '' }), /no recipient/],
    ['a RCPT request without client_address', without(rcpt(), 'client_address'), /no client address/],
  ];
  it.each(cases)('%s', async (_name, request, why) => {
    const f = await filter();
    const client = await PolicyClient.connect(f.tcp);
    expect(await client.ask(request)).toBe('DUNNO');
    // The connection stays open: Postfix's next question on it is answered.
    expect(await client.ask(rcpt())).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);
    client.close();
    await f.running.service.settle();
    expect(f.log.lines.filter((line) => line.startsWith('debug: not greylisted'))).toEqual([expect.stringMatching(why)]);
    expect(f.log.lines.filter((line) => /^(warning|error):/.test(line))).toEqual([]);
    // Only the greylisting decision is recorded.
    expect(f.admin.db.prepare('SELECT reason FROM attempt_view').pluck().all()).toEqual(['new']);
  });

  it('greylists a request without sender or client_name as the null sender from an unknown client', async () => {
    const f = await filter();
    const client = await PolicyClient.connect(f.tcp);
    expect(await client.ask(without(rcpt(), 'sender', 'client_name', 'reverse_client_name'))).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);
    client.close();
    await f.running.service.settle();
    expect(f.admin.db.prepare('SELECT sender, client_name AS clientName FROM attempt_view').get()).toEqual({ sender: '', clientName: 'unknown' });
    expect(f.admin.db.prepare('SELECT sender FROM triplet_view').pluck().get()).toBe('<>');
  });

  it('answers a request of another type DUNNO and says so, rather than leaving Postfix to time out', async () => {
    const f = await filter();
    const client = await PolicyClient.connect(f.tcp);
    expect(await client.ask(rcpt({ request: 'junk_policy' }))).toBe('DUNNO');
    expect(await client.ask(rcpt())).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);
    client.close();
    expect(f.log.lines.join('\n')).toMatch(/warning: answered DUNNO to a request of unknown type "junk_policy" from 127\.0\.0\.1/);
  });
});

describe('8-bit envelope addresses', () => {
  it('greylists an 8-bit sender Postfix passes through as raw bytes (smtputf8_enable = no), then lets its retry pass', async () => {
    const f = await filter();
    const request = Buffer.from(encodeRequest(rcpt({ sender: 'j\xfcrg@b\xfccher.example' })), 'latin1');
    const client = await PolicyClient.connect(f.tcp);
    expect(await client.askRaw(request)).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');
    f.clock.now += 300;
    expect(await client.askRaw(request)).toMatch(/^PREPEND X-Greylist: delayed 300 seconds/);
    client.close();
    await f.running.service.settle();
    expect(f.admin.db.prepare('SELECT sender FROM triplet_view').pluck().all()).toEqual(['j\u00fcrg@b\u00fccher.example']);
    expect(f.log.lines.filter((line) => line.startsWith('decision '))[0]).toContain('sender=<j\u00fcrg@b\u00fccher.example>');
    expect(f.log.lines.filter((line) => /^(warning|error):/.test(line))).toEqual([]);
  });
});

describe('bad input: logged, bounded, never a crash, never an answer to a broken request', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['an over-long line', `request=smtpd_access_policy\nsender=${'x'.repeat(10_000)}\n\n`, /line longer than 4096 bytes/],
    ['an over-long request', `${Array.from({ length: 120 }, (_, i) => `x${i}=${'y'.repeat(1000)}`).join('\n')}\n\n`, /request longer than/],
    ['too many attributes', `${Array.from({ length: 300 }, (_, i) => `x${i}=1`).join('\n')}\n\n`, /more than 128 attributes/],
    ['binary junk', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x0a, 0x0a]), /malformed attribute|binary/],
  ];
  it.each(cases)('%s', async (_name, input, logged) => {
    const f = await filter();
    const client = await PolicyClient.connect(f.tcp);
    await expect(client.askRaw(input)).rejects.toThrow(/closed without an answer/);
    expect(f.log.lines.join('\n')).toMatch(logged);
    expect(await askOnce(f.tcp, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
  });

  it('cuts off a client that stalls mid-request, and forgets one that vanishes', async () => {
    const f = await filter({ server: { requestTimeoutMs: 200 } });
    const staller = await PolicyClient.connect(f.tcp);
    staller.socket.write('request=smtpd_access_policy\nprotocol_state=RC');
    await staller.closed;
    expect(f.log.lines.join('\n')).toMatch(/request not finished within 0.2 s/);
    const vanisher = await PolicyClient.connect(f.tcp);
    vanisher.socket.write('request=smtpd_access_policy\nprotocol_state=RCPT\n');
    vanisher.socket.destroy();
    await waitUntil(() => f.running.server.connectionCount === 0, 2000);
    expect(await askOnce(f.tcp, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
  });

  it('cuts off a client that sends a request a byte at a time: the deadline runs from its first byte', async () => {
    const f = await filter({ server: { requestTimeoutMs: 300 } });
    const dribbler = await PolicyClient.connect(f.tcp);
    const bytes = 'request=smtpd_access_policy\nprotocol_state=RCPT\n';
    let sent = 0;
    const drip = setInterval(() => dribbler.socket.write(bytes[sent++ % bytes.length]!), 50);
    cleanups.push(() => clearInterval(drip));
    const outcome = await Promise.race([dribbler.closed.then(() => 'closed'), sleep(5000).then(() => 'still open')]);
    expect(outcome).toBe('closed');
    expect(f.log.lines.join('\n')).toMatch(/request not finished within 0.3 s/);
  });

  it('makes room for a new client by closing the longest-idle connections, keeping the ones in use', async () => {
    const f = await filter({ server: { maxConnections: 20 } });
    const postfix = await PolicyClient.connect(f.tcp);
    const idle = await Promise.all(Array.from({ length: 19 }, () => PolicyClient.connect(f.tcp)));
    await waitUntil(() => f.running.server.connectionCount === 20, 2000);
    // Postfix's connection was opened first, but it is the one in use.
    expect(await postfix.ask(rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    const flood: PolicyClient[] = [];
    cleanups.push(() => flood.forEach((client) => client.socket.destroy()));
    for (let i = 0; i < 10; i++) flood.push(await PolicyClient.connect(f.tcp));
    // The ten idle the longest are closed, oldest first.
    await Promise.all(idle.slice(0, 10).map((client) => client.closed));
    // A new client is answered, and so is Postfix on the connection it already had.
    expect(await askOnce(f.tcp, rcpt({ recipient: 'new@example.net' }))).toMatch(/^DEFER_IF_PERMIT/);
    expect(await postfix.ask(rcpt({ recipient: 'again@example.net' }))).toMatch(/^DEFER_IF_PERMIT/);
    expect(f.running.server.connectionCount).toBeLessThanOrEqual(20);
    expect(f.log.lines.filter((line) => line.includes('already 20 connections open'))).toHaveLength(1);
    expect(f.log.lines.join('\n')).toMatch(/closed the longest-idle connection from 127\.0\.0\.1: already 20 connections open/);
    expect(f.log.lines.join('\n')).not.toMatch(/refused connection/);
  });

  it('stops reading from a client that pipelines requests without reading the answers, and answers every one once it reads', async () => {
    const f = await filter();
    const client = await PolicyClient.connect(f.unix);
    client.socket.pause();
    // 5 MB of requests, written at once; the answers are never read until the end.
    const request = 'request=smtpd_access_policy\nprotocol_state=DATA\n\n';
    const count = Math.ceil(5_000_000 / request.length);
    const piece = request.repeat(500);
    for (let written = 0; written < count; written += 500) client.socket.write(written + 500 <= count ? piece : request.repeat(count - written));
    const read = () => f.log.lines.filter((line) => line.startsWith('debug: not greylisted')).length;
    const settled = async () => {
      const before = read();
      await sleep(200);
      return read() === before ? before : Infinity;
    };
    // The filter stops reading: it has answered (and holds the answers of) only a small part of what was sent.
    await expect.poll(settled, { timeout: 10_000, interval: 0 }).toBeLessThan(count / 2);
    expect(await askOnce(f.tcp, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    let received = '';
    client.socket.on('data', (chunk: string) => (received += chunk));
    client.socket.resume();
    const answer = 'action=DUNNO\n\n';
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(count * answer.length);
    expect(received).toBe(answer.repeat(count));
  }, 40_000);

  it('closes the policy port while a client has sent requests not answered yet, once that client closes its side and reads what it was sent', async () => {
    const f = await filter();
    const client = await PolicyClient.connect(f.unix);
    cleanups.push(() => {
      client.socket.destroy();
    });
    client.socket.pause();
    client.socket.write('request=smtpd_access_policy\nprotocol_state=DATA\n\n'.repeat(20_000));
    await expect.poll(() => f.log.lines.some((line) => line.startsWith('debug: not greylisted')), { timeout: 10_000 }).toBe(true);
    // The filter is not reading this client (its requests wait for their turn), yet sees it close.
    const closed = f.running.server.close();
    client.socket.resume();
    client.socket.end();
    expect(await Promise.race([closed.then(() => 'closed'), sleep(10_000).then(() => 'still open')])).toBe('closed');
  }, 20_000);

  it('answers a client that waits for each answer before the requests of connections that pipeline thousands at once', async () => {
    const f = await filter();
    const postfix = await PolicyClient.connect(f.tcp);
    expect(await postfix.ask(rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    const flooders = await Promise.all(Array.from({ length: 20 }, () => PolicyClient.connect(f.unix)));
    cleanups.push(() => flooders.forEach((client) => client.socket.destroy()));
    const perFlooder = 2000;
    const answeredToFlooders = () => f.log.lines.filter((line) => line.startsWith('debug: not greylisted')).length;
    // Every flooder's requests reach the filter's sockets before the one request of the client that waits.
    for (const flooder of flooders) {
      flooder.socket.pause();
      flooder.socket.write('request=smtpd_access_policy\nprotocol_state=DATA\n\n'.repeat(perFlooder));
    }
    const answeredBefore = await postfix.ask(rcpt({ recipient: 'during@example.net' })).then(answeredToFlooders);
    // It waits for a few requests of each flooder, not for any flooder's whole pipeline.
    expect(answeredBefore).toBeLessThan(perFlooder / 2);
    // The flooders are answered all the same, every request in order, once they read.
    const received = flooders.map(() => '');
    flooders.forEach((flooder, i) => {
      flooder.socket.removeAllListeners('data');
      flooder.socket.on('data', (chunk: string) => (received[i] += chunk));
      flooder.socket.resume();
    });
    const answers = 'action=DUNNO\n\n'.repeat(perFlooder);
    await expect.poll(() => received.every((text) => text.length === answers.length), { timeout: 20_000 }).toBe(true);
    expect(received.every((text) => text === answers)).toBe(true);
  }, 40_000);
});

describe('internal errors fail open', () => {
  it('answers DUNNO while the database refuses writes, logs it, and greylists again once it accepts them', async () => {
    const f = await filter({ busyTimeoutMs: 50 });
    const locker = openDatabase(f.db);
    locker.exec('BEGIN EXCLUSIVE');
    // Answers do not wait for the disk: the first one is decided from what could be read.
    expect(await askOnce(f.tcp, rcpt())).toMatch(/^DEFER_IF_PERMIT/);
    await f.running.service.settle();
    expect(f.log.lines.join('\n')).toMatch(/error: could not record 1 decisions \(database is locked\); answering DUNNO until the database accepts writes again/);
    expect(await askOnce(f.tcp, rcpt({ recipient: 'other@example.net' }))).toBe('DUNNO');
    locker.exec('ROLLBACK');
    locker.close();
    await f.running.service.settle();
    expect(f.log.lines.join('\n')).toMatch(/info: the database accepts writes again/);
    expect(await askOnce(f.tcp, rcpt({ recipient: 'third@example.net' }))).toMatch(/^DEFER_IF_PERMIT/);
  });

  it('answers a temporary failure instead when failMode is tempfail', async () => {
    const f = await filter({ busyTimeoutMs: 50 }, (store) => store.setSetting('failMode', 'tempfail', T0));
    const locker = openDatabase(f.db);
    locker.exec('BEGIN EXCLUSIVE');
    await askOnce(f.tcp, rcpt());
    await f.running.service.settle();
    expect(await askOnce(f.tcp, rcpt())).toBe('DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable');
    locker.exec('ROLLBACK');
    locker.close();
  });

  it.each([
    ['open', 'DUNNO'],
    ['tempfail', 'DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable'],
  ] as const)('answers per failMode (%s), without waiting, while another process holds the write lock and decisions pile up; keeps what it decided', async (failMode, failAnswer) => {
    // The writer would wait a minute for the lock: answers must not wait with it.
    const f = await filter({ busyTimeoutMs: 60_000, service: { maxBacklog: 5, maxAnswerWaitMs: 50 } }, (store) => store.setSetting('failMode', failMode, T0));
    const locker = openDatabase(f.db);
    cleanups.push(() => void (locker.open && locker.close()));
    locker.exec('BEGIN IMMEDIATE');
    locker.prepare("UPDATE meta SET value = value WHERE key = 'policy_version'").run();
    const client = await PolicyClient.connect(f.tcp);
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await client.ask(rcpt({ recipient: `r${i}@example.net` })));
    // Six decisions wait for the disk; beyond them, answers are given per failMode and not recorded.
    expect(answers.slice(0, 6)).toEqual(Array(6).fill('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds'));
    expect(answers.slice(6)).toEqual(Array(6).fill(failAnswer));
    expect(f.log.lines.join('\n')).toMatch(/error: the database has not taken 6 decisions for 50 ms \(is another process holding its write lock\?\); answering .* without recording, until it takes them/);
    locker.exec('ROLLBACK');
    locker.close();
    await f.running.service.settle();
    // Nothing decided is lost: the six are stored once the lock is gone.
    expect(f.admin.db.prepare('SELECT recipient FROM attempt_view ORDER BY id').pluck().all()).toEqual(Array.from({ length: 6 }, (_, i) => `r${i}@example.net`));
    expect(await client.ask(rcpt({ recipient: 'after@example.net' }))).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);
    expect(f.log.lines.join('\n')).toMatch(/info: the database takes decisions again; 6 requests were answered .* without being recorded/);
    client.close();
  });

  it('answers DUNNO when the greylist cannot be read or written, and says why', async () => {
    const seen = { firstSeen: T0 - 60, lastSeen: T0 - 60, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 };
    const f = await filter({}, async (store) => {
      const attempt = { at: T0 - 60, clientAddress: '192.0.2.10', clientName: 'unknown', helo: '', sender: 'alice@example.com', recipient: 'bob@example.net', queueId: '', action: 'defer' as const, reason: 'new', rule: '', delay: 300 };
      await store.commit([{ attempt, triplet: { key: { clientGroup: '192.0.2.0/24', sender: 'alice@example.com', recipient: 'bob@example.net' }, state: seen } }]);
    });
    const vandal = openDatabase(f.db);
    vandal.exec('DROP TABLE triplets');
    vandal.close();
    // A sender the greylist holds is read, and the read fails at once.
    expect(await askOnce(f.tcp, rcpt())).toBe('DUNNO');
    expect(f.log.lines.join('\n')).toMatch(/internal error, answered DUNNO \(failMode=open\).*no such table: triplets/);
    // A first contact needs no read; recording it fails, and from then on every answer is DUNNO.
    await askOnce(f.tcp, rcpt({ sender: 'stranger@example.org' }));
    await f.running.service.settle();
    expect(await askOnce(f.tcp, rcpt({ sender: 'another@example.org' }))).toBe('DUNNO');
    expect(f.log.lines.join('\n')).toMatch(/could not record 1 decisions \(no such table: triplets\); answering DUNNO until the database accepts writes again/);
  });
});

describe('expiry', () => {
  it('removes old triplets and log rows in slices on the writer thread while requests keep being answered', async () => {
    const day = 86_400;
    const f = await filter({}, async (store) => {
      const old = T0 - 100 * day;
      const writes = Array.from({ length: 3000 }, (_, i) => ({
        attempt: { at: old, clientAddress: '10.0.0.1', clientName: 'unknown', helo: '', sender: `s${i}@old.example`, recipient: 'r@example.net', queueId: '', action: 'defer' as const, reason: 'new', rule: '', delay: 300 },
        triplet: { key: { clientGroup: '10.0.0.0/24', sender: `s${i}@old.example`, recipient: 'r@example.net' }, state: { firstSeen: old, lastSeen: old, attempts: 1, earlyAttempts: 0, passedAt: i % 2 ? old : null, passes: 0 } },
      }));
      await store.commit(writes);
    });
    const expiring = f.running.service.expire();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => askOnce(f.tcp, rcpt({ recipient: `fresh${i}@example.net` }))));
    expect(replies.every((reply) => reply.startsWith('DEFER_IF_PERMIT'))).toBe(true);
    expect(await expiring).toBe(6000);
    await f.running.service.settle();
    expect(f.admin.db.prepare("SELECT count(*) FROM triplet_view WHERE sender LIKE '%@old.example'").pluck().get()).toBe(0);
    expect(f.admin.db.prepare('SELECT count(*) FROM triplets').pluck().get()).toBe(20);
    expect(f.log.lines).toContain('info: expired 6000 old triplets, clients and log rows');
  });
});
