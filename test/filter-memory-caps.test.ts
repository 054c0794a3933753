// The filter runs with small V8 heap caps (a flat, predictable footprint on a mail server); the
// administration commands do not: `greyward suspects` over a million triplets needs more than
// the filter's 256 MB. Each command here runs as a shell or systemd starts it (the executable
// bin with its shebang, Node 22 first on PATH), and a --require probe reports the heap limit
// of every Node image it ran in.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeLauncher } from '../main/supervisor/launcher.js';
import { CLI } from './support/greyward-process.js';

const MiB = 1024 * 1024;
/** --max-old-space-size=256 plus the young generation. */
const FILTER_HEAP_LIMIT = 300 * MiB;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Probe {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** pid and heap limit of every Node process image that started, in order. */
  reports(): Array<{ pid: number; limit: number }>;
}

function probe(): Probe {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-heap-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const report = join(dir, 'heap.txt');
  const script = join(dir, 'heap-probe.cjs');
  writeFileSync(report, '');
  writeFileSync(script, `require('fs').appendFileSync(${JSON.stringify(report)}, process.pid + ' ' + require('v8').getHeapStatistics().heap_size_limit + '\\n');\n`);
  return {
    dir,
    env: { ...process.env, NODE_OPTIONS: `--require ${script}`, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
    reports: () =>
      readFileSync(report, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [pid, limit] = line.split(' ').map(Number);
          return { pid: pid!, limit: limit! };
        }),
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** Starts the executable `greyward filter` and resolves with its pid once it printed its ready line. */
function startFilter(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, ['filter', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`the filter exited (${code ?? signal}) before it was ready:\n${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.startsWith('ready ')) resolve(child.pid!);
    });
  });
}

describe("the filter's memory caps", () => {
  it('do not apply to an administration command', async () => {
    const heap = probe();
    const result = await run(['settings', 'show', '--db', join(heap.dir, 'greyward.db')], heap.env);
    expect(result.code, result.stderr).toBe(0);
    const reports = heap.reports();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.limit).toBeGreaterThan(FILTER_HEAP_LIMIT);
  });

  it('apply to `greyward filter` started from a shell or by systemd, in the same process', async () => {
    const heap = probe();
    const pid = await startFilter(['--db', join(heap.dir, 'greyward.db'), '--listen', '127.0.0.1:0'], heap.env);
    const last = heap.reports().at(-1)!;
    // The same pid: systemd's main process and a supervisor's child stay the filter itself.
    expect(last.pid).toBe(pid);
    expect(last.limit).toBeLessThanOrEqual(FILTER_HEAP_LIMIT);
  });

  it("apply to the filter a supervisor forks with an IPC channel", async () => {
    const heap = probe();
    const launched = nodeLauncher({ env: heap.env }).launch(['--db', join(heap.dir, 'greyward.db'), '--listen', '127.0.0.1:0']);
    const exited = new Promise<void>((done) => launched.onExit(() => done()));
    cleanups.push(async () => {
      launched.kill('SIGTERM');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      launched.onMessage((message) => {
        if ((message as { type?: string }).type === 'ready') resolve();
      });
      launched.onExit((code) => reject(new Error(`the filter exited (${code}): ${launched.output?.().join('\n')}`)));
    });
    const last = heap.reports().at(-1)!;
    expect(last.pid).toBe(launched.pid);
    expect(last.limit).toBeLessThanOrEqual(FILTER_HEAP_LIMIT);
  });
});
