import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { greywardFilterEnv, greywardNodeFlags } from '../node-flags.js';

/** A filter process as the supervisor sees it, whatever started it. */
export interface LaunchedProcess {
  /** Undefined until the OS process exists (or when it could not be created). */
  readonly pid: number | undefined;
  /** IPC messages, and the `ready` line of stdout turned into the same `{type: 'ready'}` message. */
  onMessage(listener: (message: unknown) => void): void;
  /** Once, when the process has ended (or could not start: code and signal null). */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  kill(signal: NodeJS.Signals): boolean;
  /** The last lines the filter wrote about itself (not its decision lines), for the status message. */
  output?(): string[];
}

export interface FilterLauncher {
  /** Starts `greyward filter` with these arguments (the launcher adds the `filter` command). */
  launch(args: string[]): LaunchedProcess;
}

export interface ReadyMessage {
  type: 'ready';
  endpoints: { tcp?: string; unix?: string };
  pid?: number;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (m.type !== 'ready' || typeof m.endpoints !== 'object' || m.endpoints === null) return false;
  const endpoints = m.endpoints as Record<string, unknown>;
  return (
    (endpoints.tcp === undefined || typeof endpoints.tcp === 'string') &&
    (endpoints.unix === undefined || typeof endpoints.unix === 'string') &&
    (m.pid === undefined || (typeof m.pid === 'number' && Number.isInteger(m.pid)))
  );
}

/** The endpoints of the filter's stdout line `ready tcp=HOST:PORT unix=PATH` (either part optional). */
export function parseReadyLine(line: string): ReadyMessage['endpoints'] | undefined {
  const match = /^ready(?: tcp=(\S+))?(?: unix=(.+))?\s*$/.exec(line);
  if (!match) return undefined;
  return { ...(match[1] ? { tcp: match[1] } : {}), ...(match[2] ? { unix: match[2] } : {}) };
}

/** Calls `onLine` for every complete line of a text stream fed in chunks. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
    // A runaway line without a newline must not grow without bound.
    if (pending.length > 64 * 1024) pending = pending.slice(-1024);
  };
}

/**
 * The last lines worth showing an administrator: the filter's warnings and errors and what
 * Node prints when it dies, without its one-line-per-decision log, its info lines, or stack frames.
 */
export class OutputTail {
  private readonly kept: string[] = [];
  constructor(private readonly max = 20) {}

  push(line: string): void {
    const text = line.trimEnd();
    if (text === '' || text.startsWith('decision ') || text.startsWith('info: ') || /^\s+at /.test(text) || /^\s*\^+\s*$/.test(text)) return;
    this.kept.push(text.length > 500 ? `${text.slice(0, 500)}…` : text);
    if (this.kept.length > this.max) this.kept.shift();
  }

  lines(): string[] {
    return [...this.kept];
  }
}

/** Greyward's folder (where package.json and bin/ are), found from this file whether it runs as source or from out/. */
export function greywardRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bin', 'greyward.cjs'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'greyward') return dir;
      } catch {
        // Not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find Greyward's folder above ${from}`);
    dir = parent;
  }
}

export interface NodeLauncherOptions {
  /** The script to fork; default: Greyward's bin/greyward.cjs. */
  cli?: string;
  /** Arguments before the filter's own; default ['filter']. */
  command?: string[];
  /** The Node to run it with; default: the current one (the app passes Electron's, run as Node). */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line the filter writes (decisions included), except its ready line: where its log is shown. Complete lines, several at once. */
  relay?: (lines: string) => void;
}

/**
 * Forks the filter with child_process.fork and an IPC channel: the filter sends `{type: 'ready'}`
 * over IPC and prints its ready line. stdout and stderr are always drained (a filter blocked on a
 * full pipe would stop answering Postfix), relayed line by line, and their last lines kept for
 * the status message.
 *
 * The filter outlives the program that forked it if that one dies: it leads a process group and
 * session of its own, so a terminal's Ctrl-C or hang-up reaches only its parent, which decides
 * (a clean exit stops the filter; a crash leaves it answering); it ignores the IPC channel's end
 * and a broken stdout or stderr. The next supervisor attaches to it.
 */
export function nodeLauncher(options: NodeLauncherOptions = {}): FilterLauncher {
  return {
    launch(args) {
      const cli = options.cli ?? join(greywardRoot(), 'bin', 'greyward.cjs');
      const child = fork(cli, [...(options.command ?? ['filter']), ...args], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
        windowsHide: true,
        // The filter's Node flags (its heap caps), as `greyward filter` would apply them itself.
        execArgv: greywardNodeFlags(cli),
        ...(options.execPath ? { execPath: options.execPath } : {}),
        env: { ...(options.env ?? process.env), ...greywardFilterEnv(cli) },
      });
      const tail = new OutputTail();
      // One relayed write per chunk read, not per line: the filter logs thousands of decisions a second.
      let relayed: string[] = [];
      const output = (line: string) => {
        tail.push(line);
        if (options.relay) relayed.push(line);
      };
      const relay = () => {
        if (relayed.length === 0) return;
        options.relay!(`${relayed.join('\n')}\n`);
        relayed = [];
      };
      const messageListeners: Array<(message: unknown) => void> = [];
      const exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
      let exited = false;
      const emitMessage = (message: unknown) => {
        for (const listener of messageListeners) listener(message);
      };
      const emitExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exited) return;
        exited = true;
        for (const listener of exitListeners) listener(code, signal);
      };
      const stdoutLines = lineSplitter((line) => {
        const endpoints = parseReadyLine(line);
        if (endpoints) emitMessage({ type: 'ready', endpoints, ...(child.pid ? { pid: child.pid } : {}) });
        else output(line);
      });
      const stderrLines = lineSplitter(output);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdoutLines(chunk);
        relay();
      });
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderrLines(chunk);
        relay();
      });
      child.on('message', emitMessage);
      // 'exit' can come before the pipes are drained; 'close' comes after both, so the last stderr lines are in the tail.
      child.on('close', (code, signal) => emitExit(code, signal));
      child.on('error', (error) => {
        tail.push(`could not run the filter: ${error.message}`);
        // A process that never started emits no 'close'.
        if (child.pid === undefined) emitExit(null, null);
      });
      return {
        get pid() {
          return child.pid;
        },
        onMessage: (listener) => void messageListeners.push(listener),
        onExit: (listener) => void exitListeners.push(listener),
        kill: (signal) => (child.exitCode === null && child.signalCode === null ? child.kill(signal) : false),
        output: () => tail.lines(),
      };
    },
  };
}
