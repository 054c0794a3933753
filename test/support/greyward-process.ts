import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/greyward.cjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the greyward command line as an administrator would, with the Node running the tests. */
export function greyward(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the command line and returns its stdout; throws with its stderr when it fails. */
export async function greywardOk(...args: string[]): Promise<string> {
  const result = await greyward(...args);
  if (result.code !== 0) throw new Error(`greyward ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

export interface DecisionLine {
  line: string;
  client: string;
  sender: string;
  recipient: string;
  action: string;
  reason: string;
  delay: string;
}

export function parseDecisionLine(line: string): DecisionLine {
  const field = (re: RegExp) => re.exec(line)?.[1] ?? '';
  return {
    line,
    client: field(/ client=(\S+)/),
    sender: field(/ sender=<([^>]*)>/),
    recipient: field(/ recipient=<([^>]*)>/),
    action: field(/ action=(\S+)/),
    reason: field(/ reason=(\S+)/),
    delay: field(/ delay=(\S+)/),
  };
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  /** The TCP port, or 0 when it listens on a UNIX socket only. */
  port: number;
  /** The first stdout line, e.g. "ready tcp=127.0.0.1:40123". */
  readyLine: string;
  stderr(): string;
  /** The decision lines logged so far. */
  decisions(): DecisionLine[];
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves with how it exited. Idempotent. */
  stop(): Promise<Exit>;
}

/** Starts `greyward filter` and resolves once it printed its ready line; `nodeFlags` go before the script (see greywardNodeFlags). */
export function startDaemon(args: string[], timeoutMs = 15_000, nodeFlags: string[] = []): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [...nodeFlags, CLI, 'filter', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stopping: Promise<Exit> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const exit = await exited;
      clearTimeout(killer);
      return exit;
    })());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`greyward filter did not become ready within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`greyward filter exited with ${code} before it was ready:\n${stderr}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const readyLine = /^ready .*$/m.exec(stdout)?.[0];
      if (!readyLine) return;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid!,
        port: Number(/ tcp=\S*:(\d+)/.exec(readyLine)?.[1] ?? 0),
        readyLine,
        stderr: () => stderr,
        decisions: () => stderr.split('\n').filter((line) => line.startsWith('decision ')).map(parseDecisionLine),
        exited,
        stop,
      });
    });
  });
}
