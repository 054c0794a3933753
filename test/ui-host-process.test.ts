// `greyward ui` as an administrator runs it, with the filter it starts: what its death, its
// terminal's Ctrl-C and a port already taken do to the mail Postfix is asking about.
// Real processes on loopback; every process is stopped by its pid.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from './support/free-port.js';
import { CLI, startDaemon } from './support/greyward-process.js';
import { askOnce, PolicyClient, rcpt } from './support/policy-client.js';
import { startUi, type UiProcess } from './support/ui-process.js';

const DEFER = /^DEFER_IF_PERMIT 4\.7\.1 Greylisted/;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-ui-host-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'greyward.db');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function untilDead(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Stops a filter by its pid at the end of the test, whatever happened to the ui that started it. */
function stopAtEnd(pid: number): void {
  cleanups.push(async () => {
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await untilDead(pid).catch(() => process.kill(pid, 'SIGKILL'));
  });
}

async function ui(args: string[], options: { detached?: boolean } = {}): Promise<UiProcess> {
  const started = await startUi(args, options);
  cleanups.push(() => started.stop());
  return started;
}

/** The pid of the filter `greyward ui` reports running (started by it) or attached (started elsewhere). */
async function filterPid(started: UiProcess, state: 'running' | 'attached'): Promise<number> {
  const pattern = state === 'running' ? /^filter running: answering Postfix on .* \(pid (\d+)\)$/m : /^filter attached: .*\(pid (\d+) on /m;
  let found: string | undefined;
  await expect.poll(() => (found = pattern.exec(started.stderr())?.[1]), { timeout: 20_000, message: started.stderr() }).toBeDefined();
  return Number(found);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The ui's exit, or an error that shows what it printed: a hang says where it hung. */
async function exitOf(started: UiProcess, timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`greyward ui still running after ${timeoutMs} ms:\n${started.stderr()}`)), timeoutMs)));
  try {
    return await Promise.race([started.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

// Each test starts a ui and a filter, which on a loaded machine takes several seconds each.
describe('greyward ui and the filter it starts', { timeout: 60_000 }, () => {
  it('killed with SIGKILL under policy load, leaves its filter answering; the next greyward ui attaches to it', async () => {
    const db = tempDb();
    const port = await freeLoopbackPort();
    const first = await ui(['--db', db, '--listen', `127.0.0.1:${port}`]);
    const pid = await filterPid(first, 'running');
    stopAtEnd(pid);

    // Four Postfix-like connections asking about new triplets: one decision line each on the filter's stderr.
    let phase: 'before' | 'after' | 'done' = 'before';
    const answered = { before: 0, after: 0 };
    const failures: string[] = [];
    let n = 0;
    const load = Array.from({ length: 4 }, async () => {
      const client = await PolicyClient.connect({ port });
      while (phase !== 'done') {
        const asked = phase;
        try {
          const reply = await client.ask(rcpt({ sender: `load${n++}@example.com` }));
          if (DEFER.test(reply)) answered[asked]++;
          else failures.push(reply);
        } catch (error) {
          failures.push((error as Error).message);
          return;
        }
      }
      client.close();
    });
    await expect.poll(() => answered.before, { timeout: 10_000 }).toBeGreaterThan(200);
    process.kill(first.child.pid!, 'SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    phase = 'after';
    // Long enough for the filter to write decision lines into the pipe nobody reads any more.
    await expect.poll(() => answered.after, { timeout: 10_000 }).toBeGreaterThan(2000);
    phase = 'done';
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(alive(pid)).toBe(true);
    expect(await askOnce({ port }, rcpt({ sender: 'new-connection@example.com' }))).toMatch(DEFER);

    const second = await ui(['--db', db, '--listen', `127.0.0.1:${port}`]);
    expect(await filterPid(second, 'attached')).toBe(pid);
    // A clean exit of a ui that attached leaves the filter running.
    await second.stop();
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(alive(pid)).toBe(true);
    expect(await askOnce({ port }, rcpt({ sender: 'after-second@example.com' }))).toMatch(DEFER);
  });

  it('shows every decision line of the filter it started on its stderr', async () => {
    const port = await freeLoopbackPort();
    const started = await ui(['--db', tempDb(), '--listen', `127.0.0.1:${port}`]);
    stopAtEnd(await filterPid(started, 'running'));
    for (let i = 0; i < 20; i++) expect(await askOnce({ port }, rcpt({ queue_id: `RELAY${i}`, sender: `relay${i}@example.com` }))).toMatch(DEFER);
    await expect
      .poll(() => started.stderr().split('\n').filter((line) => /^decision queue_id=RELAY\d+ .* action=defer reason=new/.test(line)).length)
      .toBe(20);
  });

  it('on Ctrl-C in its terminal (SIGINT to its process group) stops the filter it started, which drains and exits', async () => {
    const port = await freeLoopbackPort();
    const started = await ui(['--db', tempDb(), '--listen', `127.0.0.1:${port}`], { detached: true });
    const pid = await filterPid(started, 'running');
    stopAtEnd(pid);
    process.kill(-started.child.pid!, 'SIGINT');
    expect(await exitOf(started)).toEqual({ code: 0, signal: null });
    expect(started.stderr()).toMatch(/SIGINT: closing the screens and stopping the filter this command started/);
    await untilDead(pid);
    expect(await refused(port)).toBe(true);
  });

  it('on SIGTERM while its filter is still starting, stops that filter too', async () => {
    const port = await freeLoopbackPort();
    const started = await ui(['--db', tempDb(), '--listen', `127.0.0.1:${port}`]);
    let launched: string | undefined;
    await expect.poll(() => (launched = /^filter starting: starting the filter \(pid (\d+)\)$/m.exec(started.stderr())?.[1]), { timeout: 20_000 }).toBeDefined();
    const pid = Number(launched);
    stopAtEnd(pid);
    process.kill(started.child.pid!, 'SIGTERM');
    expect(await exitOf(started)).toEqual({ code: 0, signal: null });
    await untilDead(pid);
  });

  /** Runs `greyward ui` to its end (killing it after 15 s if it hangs). */
  function runUi(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [CLI, 'ui', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const hung = setTimeout(() => child.kill('SIGKILL'), 15_000);
    return new Promise((resolve) =>
      child.once('close', (code, signal) => {
        clearTimeout(hung);
        resolve({ code, signal, stdout, stderr });
      }),
    );
  }

  async function takenPort(): Promise<number> {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    return (blocker.address() as net.AddressInfo).port;
  }

  it('on a port already in use exits 1 with a clear message, and leaves no filter behind', async () => {
    const busy = await takenPort();
    const filterPort = await freeLoopbackPort();
    const result = await runUi(['--db', tempDb(), '--port', String(busy), '--listen', `127.0.0.1:${filterPort}`]);
    expect(result).toMatchObject({ code: 1, signal: null, stdout: '' });
    expect(result.stderr).toMatch(new RegExp(`greyward: cannot serve the screens: 127\\.0\\.0\\.1:${busy} is already in use; choose another --port \\(0: any free port\\)`));
    expect(await refused(filterPort)).toBe(true);
  });

  it('on a port already in use exits 1 and leaves a filter it attached to running', async () => {
    const db = tempDb();
    const daemon = await startDaemon(['--db', db, '--listen', '127.0.0.1:0']);
    cleanups.push(async () => void (await daemon.stop()));
    const busy = await takenPort();
    const result = await runUi(['--db', db, '--port', String(busy)]);
    expect(result).toMatchObject({ code: 1, signal: null });
    expect(result.stderr).toMatch(/is already in use/);
    expect(alive(daemon.pid)).toBe(true);
    expect(await askOnce({ port: daemon.port }, rcpt())).toMatch(DEFER);
  });
});
