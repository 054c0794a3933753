import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FilterStatus } from '../../shared/contract.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { VERSION } from '../version.js';
import { FilterSupervisor } from './filter-supervisor.js';
import { formatDelay, type FilterSupervisorOptions, type Timers } from './supervisor-options.js';
import { greywardRoot, lineSplitter, nodeLauncher, OutputTail, parseReadyLine, type FilterLauncher, type LaunchedProcess } from './launcher.js';
import { crashNotice, POSTFIX_DEFAULT_ACTION_LINE, quitWarning } from './notices.js';
import { isProcessAlive, presenceProbe } from './presence-probe.js';

const CLI = join(greywardRoot(), 'bin', 'greyward.cjs');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-supervisor-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tempDb(): string {
  return join(tempDir(), 'greyward.db');
}

function openStore(db: string): SqliteStore {
  const store = new SqliteStore(openDatabase(db));
  cleanups.push(() => store.close());
  return store;
}

/** A launcher that records what it launched, around a real one. */
function recording(inner: FilterLauncher): FilterLauncher & { launched: LaunchedProcess[]; args: string[][] } {
  const launched: LaunchedProcess[] = [];
  const args: string[][] = [];
  return {
    launched,
    args,
    launch(a) {
      args.push(a);
      const child = inner.launch(a);
      launched.push(child);
      cleanups.push(() => {
        if (child.pid !== undefined && isProcessAlive(child.pid)) child.kill('SIGKILL');
      });
      return child;
    },
  };
}

/** Real timers that also record every delay asked for. */
function recordingTimers(): Timers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (callback, ms) => {
      delays.push(ms);
      return setTimeout(callback, ms);
    },
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

function supervise(options: FilterSupervisorOptions): FilterSupervisor & { seen: FilterStatus[] } {
  const supervisor = Object.assign(new FilterSupervisor(options), { seen: [] as FilterStatus[] });
  supervisor.onStatus((status) => supervisor.seen.push(status));
  cleanups.push(() => supervisor.stop());
  return supervisor;
}

function waitFor(supervisor: FilterSupervisor, predicate: (status: FilterStatus) => boolean, timeoutMs = 15_000): Promise<FilterStatus> {
  if (predicate(supervisor.status())) return Promise.resolve(supervisor.status());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`status not reached within ${timeoutMs} ms; last: ${JSON.stringify(supervisor.status())}`));
    }, timeoutMs);
    const unsubscribe = supervisor.onStatus((status) => {
      if (!predicate(status)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(status);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilDead(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive`);
    await sleep(20);
  }
}

/** Asks the filter one policy question over TCP, as Postfix would, and returns its action line. */
function askPolicy(endpoint: string): Promise<string> {
  const [, host, port] = /^(.*):(\d+)$/.exec(endpoint)!;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: host!, port: Number(port) });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.endsWith('\n\n')) {
        socket.end();
        resolve(reply.split('\n')[0]!);
      }
    });
    socket.write(
      'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=192.0.2.7\nclient_name=mail.example.com\n' +
        'helo_name=mail.example.com\nsender=a@example.com\nrecipient=b@example.net\nqueue_id=ABC\n\n',
    );
  });
}

/** `greyward filter` started by hand, as systemd or an administrator would: not the supervisor's. */
function startForeignFilter(db: string): Promise<{ child: ChildProcess; pid: number; tcp: string }> {
  const child = spawn(process.execPath, [CLI, 'filter', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  child.stderr!.resume();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`greyward filter exited with ${code} before it was ready`)));
    child.stdout!.setEncoding('utf8').on(
      'data',
      lineSplitter((line) => {
        const endpoints = parseReadyLine(line);
        if (endpoints?.tcp) resolve({ child, pid: child.pid!, tcp: endpoints.tcp });
      }),
    );
  });
}

describe('FilterSupervisor with the real filter', () => {
  it('starts the filter, waits for its ready handshake, reports it running, and stops it with SIGTERM', async () => {
    const db = tempDb();
    const launcher = recording(nodeLauncher());
    const supervisor = supervise({ db, listen: '127.0.0.1:0', launcher, findRunningFilter: presenceProbe({ store: openStore(db) }) });

    const before = Date.now();
    const status = await supervisor.start();
    expect(status).toMatchObject({ state: 'running', version: VERSION, restarts: 0, message: expect.stringMatching(/^answering Postfix on tcp 127\.0\.0\.1:\d+$/) });
    expect(status.pid).toBe(launcher.launched[0]!.pid);
    expect(status.endpoints.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(status.startedAt! * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(launcher.args).toEqual([['--db', db, '--listen', '127.0.0.1:0']]);
    expect(supervisor.seen.map((s) => s.state)).toEqual(['starting', 'starting', 'running']);
    expect(supervisor.seen[1]!.pid).toBe(status.pid);
    expect(supervisor.ownsFilter).toBe(true);
    expect(await askPolicy(status.endpoints.tcp!)).toMatch(/^action=DEFER_IF_PERMIT 4\.7\.1 /);

    // Already started: start() answers at once and launches nothing more.
    expect((await supervisor.start()).pid).toBe(status.pid);
    expect(launcher.launched).toHaveLength(1);

    // The administrator's restart: the old filter drains and exits, a new one starts; not counted as a crash.
    const again = await supervisor.restart();
    expect(again).toMatchObject({ state: 'running', restarts: 0 });
    expect(again.pid).not.toBe(status.pid);
    expect(isProcessAlive(status.pid!)).toBe(false);
    expect(launcher.launched).toHaveLength(2);

    const stopped = await supervisor.stop();
    expect(stopped).toMatchObject({ state: 'stopped', pid: null, message: 'the filter was stopped' });
    expect(isProcessAlive(again.pid!)).toBe(false);
    expect(supervisor.ownsFilter).toBe(false);
    // A clean exit (SIGTERM drained) removes the filter's presence row.
    expect(await openStore(db).presentFilters(Math.floor(Date.now() / 1000), 15)).toEqual([]);
  });

  it('restarts a filter killed with SIGKILL from outside, after the backoff, and does not mistake its heartbeat row for another filter', async () => {
    const db = tempDb();
    const launcher = recording(nodeLauncher());
    const timers = recordingTimers();
    const supervisor = supervise({
      db,
      listen: '127.0.0.1:0',
      launcher,
      timers,
      backoff: { initialMs: 100, factor: 2, maxMs: 1000 },
      findRunningFilter: presenceProbe({ store: openStore(db) }),
    });
    const first = await supervisor.start();
    expect(first.state).toBe('running');

    process.kill(first.pid!, 'SIGKILL');
    const second = await waitFor(supervisor, (s) => s.state === 'running' && s.pid !== first.pid);
    expect(second.restarts).toBe(1);
    expect(launcher.launched).toHaveLength(2);
    expect(isProcessAlive(first.pid!)).toBe(false);

    const states = supervisor.seen.map((s) => s.state);
    expect(states.slice(states.indexOf('running') + 1)).toEqual(['crashed', 'starting', 'starting', 'running']);
    const crashed = supervisor.seen.find((s) => s.state === 'crashed')!;
    expect(crashed).toMatchObject({ pid: null, restarts: 0, endpoints: {} });
    expect(crashed.message).toMatch(/^the filter was killed by SIGKILL\nRestarting in 100 ms\.$/);
    expect(timers.delays).toContain(100);
    expect(crashNotice(first, crashed, supervisor.gaveUp)).toEqual({
      title: 'The Greyward filter stopped',
      body: 'the filter was killed by SIGKILL. Restarting it; Postfix defers incoming mail (451 4.3.5) until the filter runs again.',
    });
    expect(await askPolicy(second.endpoints.tcp!)).toMatch(/^action=/);
  });

  it('kills a filter that never says ready, retries with growing backoff, and gives up at the restart cap', async () => {
    const dir = tempDir();
    const neverReady = join(dir, 'never-ready.cjs');
    writeFileSync(neverReady, "process.stderr.write('warning: thinking about it\\n'); setInterval(() => {}, 1000);\n");
    const launcher = recording(nodeLauncher({ cli: neverReady }));
    const timers = recordingTimers();
    const supervisor = supervise({
      db: join(dir, 'greyward.db'),
      launcher,
      timers,
      readyTimeoutMs: 300,
      backoff: { initialMs: 40, factor: 3, maxMs: 10_000 },
      restartCap: { restarts: 2, windowMs: 60_000 },
    });

    const settled = await supervisor.start();
    expect(settled.state).toBe('crashed'); // the first failure settles start()
    const final = await waitFor(supervisor, (s) => s.state === 'crashed' && supervisor.gaveUp);
    expect(launcher.launched).toHaveLength(3);
    expect(final.restarts).toBe(2);
    // The fixture's warning is there unless a loaded machine took 300 ms just to start Node.
    expect(final.message).toMatch(
      /^the filter did not say it was ready within 300 ms(: warning: thinking about it)?\nGave up after 2 restarts within 60 s: fix the cause, then restart the filter\.$/,
    );
    // Each attempt was killed, not left behind.
    for (const child of launcher.launched) await waitUntilDead(child.pid!);
    // The ready timeout, then 40 ms and 120 ms of backoff between the three attempts.
    expect(timers.delays.filter((ms) => ms !== 300 && ms !== 10_000)).toEqual([40, 120]);
    expect(supervisor.seen.filter((s) => s.state === 'crashed').map((s) => s.message.split('\n')[1])).toEqual([
      'Restarting in 40 ms.',
      'Restarting in 120 ms.',
      'Gave up after 2 restarts within 60 s: fix the cause, then restart the filter.',
    ]);

    await sleep(300);
    expect(launcher.launched).toHaveLength(3);
    expect(supervisor.status().state).toBe('crashed');
  });

  it('forgets crashes older than the restart window (injected clock): backoff starts over and the cap is not reached', async () => {
    const dir = tempDir();
    const quitter = join(dir, 'quitter.cjs');
    writeFileSync(quitter, "process.stderr.write('error: no luck\\n'); process.exit(3);\n");
    const launcher = recording(nodeLauncher({ cli: quitter }));
    const timers = recordingTimers();
    let now = 1_000_000;
    const supervisor = supervise({
      db: join(dir, 'greyward.db'),
      launcher,
      timers,
      now: () => now,
      readyTimeoutMs: 10_000,
      backoff: { initialMs: 10, factor: 4, maxMs: 1000 },
      restartCap: { restarts: 1, windowMs: 60_000 },
    });
    // Each launched filter lives an hour, on the supervisor's clock, before it exits.
    supervisor.onStatus((status) => {
      if (status.state === 'starting' && status.pid !== null) now += 3_600_000;
    });
    await supervisor.start();
    await waitFor(supervisor, () => launcher.launched.length >= 4);
    const crashed = await waitFor(supervisor, (s) => s.state === 'crashed' && s.restarts === 3);
    expect(crashed.message).toBe('the filter exited with code 3 before it was ready: error: no luck\nRestarting in 10 ms.');
    expect(supervisor.gaveUp).toBe(false);
    expect(timers.delays.filter((ms) => ms !== 10_000)).toEqual([10, 10, 10, 10]);
    await supervisor.stop();
    expect(supervisor.status().state).toBe('stopped');
  });

  it('stops a filter that is still starting, and SIGKILLs one that ignores SIGTERM after the stop timeout', async () => {
    const dir = tempDir();
    const stubborn = join(dir, 'stubborn.cjs');
    writeFileSync(
      stubborn,
      "process.on('SIGTERM', () => process.stderr.write('warning: not now\\n')); process.stderr.write('warning: armed\\n'); setInterval(() => {}, 1000);\n",
    );
    const launcher = recording(nodeLauncher({ cli: stubborn }));
    const supervisor = supervise({ db: join(dir, 'greyward.db'), launcher, readyTimeoutMs: 30_000, stopTimeoutMs: 300 });
    void supervisor.start();
    const starting = await waitFor(supervisor, (s) => s.state === 'starting' && s.pid !== null);
    expect(supervisor.ownsFilter).toBe(true);
    // Only once it ignores SIGTERM does the test mean something.
    while (!launcher.launched[0]!.output!().includes('warning: armed')) await sleep(10);

    const began = Date.now();
    const stopped = await supervisor.stop();
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(stopped).toMatchObject({ state: 'stopped', message: 'the filter was stopped' });
    expect(launcher.launched[0]!.output!()).toContain('warning: not now');
    await waitUntilDead(starting.pid!);
    await sleep(100);
    expect(launcher.launched).toHaveLength(1);
    expect(supervisor.seen.map((s) => s.state)).not.toContain('crashed');
  });

  it('stays crashed at the restart cap when the filter cannot bind its address, and restart() starts over', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const db = tempDb();
    const launcher = recording(nodeLauncher());
    const supervisor = supervise({
      db,
      listen: `127.0.0.1:${port}`,
      launcher,
      backoff: { initialMs: 20, factor: 2, maxMs: 100 },
      restartCap: { restarts: 2, windowMs: 60_000 },
    });

    await supervisor.start();
    const final = await waitFor(supervisor, () => supervisor.gaveUp);
    expect(final.state).toBe('crashed');
    expect(launcher.launched).toHaveLength(3);
    expect(final.message).toMatch(/^the filter exited with code 1 before it was ready: error: policy server: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n/);
    expect(final.message).toMatch(/Gave up after 2 restarts within 60 s/);
    expect(crashNotice(supervisor.seen.at(-2)!, final, true)?.title).toBe('Greyward gave up restarting the filter');
    expect(quitWarning(final, supervisor.ownsFilter)).toBeNull(); // nothing left to stop

    await sleep(250);
    expect(launcher.launched).toHaveLength(3);

    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const restarted = await supervisor.restart();
    expect(restarted).toMatchObject({ state: 'running', endpoints: { tcp: `127.0.0.1:${port}` } });
    expect(supervisor.gaveUp).toBe(false);
    expect(launcher.launched).toHaveLength(4);
  });

  it('attaches to a filter already serving the database, starts none, and leaves it running when stopped', async () => {
    const db = tempDb();
    const store = openStore(db);
    const foreign = await startForeignFilter(db);
    const launcher = recording(nodeLauncher());
    const supervisor = supervise({ db, listen: '127.0.0.1:0', launcher, findRunningFilter: presenceProbe({ store }) });

    const status = await supervisor.start();
    expect(status).toMatchObject({ state: 'attached', pid: foreign.pid, endpoints: { tcp: foreign.tcp }, version: VERSION });
    expect(status.message).toMatch(/^attached to the filter already serving this database \(pid \d+ on .+\); Greyward did not start it and will not stop it$/);
    expect(launcher.launched).toHaveLength(0);
    expect(supervisor.ownsFilter).toBe(false);
    expect(quitWarning(status, supervisor.ownsFilter)).toBeNull();

    const restarted = await supervisor.restart();
    expect(restarted).toMatchObject({ state: 'attached', pid: foreign.pid });
    expect(restarted.message).toMatch(/was not started by Greyward: restart it where it runs/);

    const stopped = await supervisor.stop();
    expect(stopped.state).toBe('stopped');
    expect(stopped.message).toMatch(new RegExp(`^left the filter \\(pid ${foreign.pid} on .+\\) running: Greyward did not start it$`));
    await sleep(200);
    expect(isProcessAlive(foreign.pid)).toBe(true);
    expect(await askPolicy(foreign.tcp)).toMatch(/^action=/);
    expect(launcher.launched).toHaveLength(0);
  });

  it('starts its own filter once the attached one is gone', async () => {
    const db = tempDb();
    const store = openStore(db);
    const foreign = await startForeignFilter(db);
    const launcher = recording(nodeLauncher());
    const supervisor = supervise({ db, listen: '127.0.0.1:0', launcher, attachPollMs: 100, attachMisses: 2, findRunningFilter: presenceProbe({ store }) });
    expect((await supervisor.start()).state).toBe('attached');

    foreign.child.kill('SIGTERM');
    const own = await waitFor(supervisor, (s) => s.state === 'running');
    expect(own.pid).not.toBe(foreign.pid);
    expect(launcher.launched).toHaveLength(1);
    const afterAttached = supervisor.seen.slice(supervisor.seen.findIndex((s) => s.state === 'attached') + 1);
    expect(afterAttached.map((s) => s.state)).toEqual(['starting', 'running']);
    expect(afterAttached[0]!.message).toBe(`the filter pid ${foreign.pid} is gone; starting Greyward's own`);
    expect(supervisor.ownsFilter).toBe(true);

    const warning = quitWarning(own, supervisor.ownsFilter)!;
    expect(warning.detail).toContain(`(pid ${own.pid}, answering on tcp ${own.endpoints.tcp})`);
    expect(warning.detail).toContain('451 4.3.5');
    expect(warning.detail).toContain(`    ${POSTFIX_DEFAULT_ACTION_LINE}\n`);
    expect(warning.buttons[warning.cancelId]).toBe('Cancel');
  });
});

describe('presence probe', () => {
  const presence = (pid: number, host: string, seenAt = 1000) => ({ pid, host, endpoints: {}, version: '1', startedAt: 900, seenAt });

  it('keeps fresh filters that are alive on this host or run on another, and never its own', async () => {
    const asked: Array<[number, number]> = [];
    const rows = [presence(11, 'here'), presence(12, 'here'), presence(13, 'there')];
    const store = {
      presentFilters: async (now: number, fresh: number) => {
        asked.push([now, fresh]);
        return rows;
      },
    };
    const alive = new Set([12]);
    const probe = presenceProbe({ store, clock: () => 1005, host: 'here', isAlive: (pid) => alive.has(pid) });
    expect(await probe()).toMatchObject({ pid: 12 });
    expect(asked).toEqual([[1005, 15]]);
    expect(await probe(new Set([12]))).toMatchObject({ pid: 13 });
    rows.pop();
    expect(await probe(new Set([12]))).toBeUndefined();
  });

  it('sees this process as alive and a reaped one as gone', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isProcessAlive(child.pid!)).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
  });
});

describe('launcher helpers', () => {
  it.each([
    ['ready tcp=127.0.0.1:10023', { tcp: '127.0.0.1:10023' }],
    ['ready tcp=[::1]:10023 unix=/var/spool/postfix/greyward/policy.sock', { tcp: '[::1]:10023', unix: '/var/spool/postfix/greyward/policy.sock' }],
    ['ready unix=/tmp/a b.sock', { unix: '/tmp/a b.sock' }],
    ['ready ', {}],
    ['info: ready', undefined],
    ['already tcp=1', undefined],
  ])('parses %j', (line, endpoints) => {
    expect(parseReadyLine(line)).toEqual(endpoints);
  });

  it('splits chunks into lines and keeps only what an administrator needs from the output', () => {
    const tail = new OutputTail(2);
    const feed = lineSplitter((line) => tail.push(line));
    feed('info: greyward filter ready\ndecision queue_id=A action=defer\nwarn');
    feed('ing: slow disk\r\nerror: unexpected, exiting: Error: boom\n    at x (y.js:1:1)\n');
    expect(tail.lines()).toEqual(['warning: slow disk', 'error: unexpected, exiting: Error: boom']);
    feed('greyward: listen EADDRINUSE\n');
    expect(tail.lines()).toEqual(['error: unexpected, exiting: Error: boom', 'greyward: listen EADDRINUSE']);
  });

  it('formats delays', () => {
    expect([formatDelay(40), formatDelay(1000), formatDelay(1500), formatDelay(30_000)]).toEqual(['40 ms', '1 s', '1.5 s', '30 s']);
  });
});
