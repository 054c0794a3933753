import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './greyward-process.js';

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface UiProcess {
  child: ChildProcess;
  /** The page address with its token, as `greyward ui` printed it. */
  url: string;
  stderr(): string;
  exited: Promise<Exit>;
  stop(): Promise<void>;
}

export interface StartUiOptions {
  timeoutMs?: number;
  /** In a process group of its own, as a shell starts a foreground job: a terminal's Ctrl-C reaches that group. */
  detached?: boolean;
}

/** Starts `greyward ui` (which supervises a filter) and resolves with the address it printed first. */
export function startUi(args: string[], { timeoutMs = 20_000, detached = false }: StartUiOptions = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [CLI, 'ui', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`greyward ui printed no address within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`greyward ui exited before printing its address:\n${stderr}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(stdout)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ child, url, stderr: () => stderr, exited, stop });
    });
  });
}
