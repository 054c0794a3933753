import { utilityProcess } from 'electron';
import { join } from 'node:path';
import { greywardNodeFlags } from '../node-flags.js';
import { greywardRoot, lineSplitter, OutputTail, parseReadyLine, type FilterLauncher } from '../supervisor/launcher.js';
import { FILTER_ARGS_MARKER } from './filter-process-args.js';

/**
 * Launches the filter in an Electron utility process (Chromium's services API, Electron's own
 * Node, no second runtime to ship): `entry` is the built filter-process.js. Electron ends utility
 * processes with the app, so a filter the app started never outlives it unnoticed.
 */
export function utilityLauncher(entry: string): FilterLauncher {
  return {
    launch(args) {
      const child = utilityProcess.fork(entry, [FILTER_ARGS_MARKER, ...args], {
        stdio: 'pipe',
        serviceName: 'Greyward filter',
        execArgv: greywardNodeFlags(join(greywardRoot(), 'bin', 'greyward.cjs')),
      });
      const tail = new OutputTail();
      const messageListeners: Array<(message: unknown) => void> = [];
      const exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
      let pid = child.pid;
      let exited = false;
      const emitMessage = (message: unknown) => {
        for (const listener of messageListeners) listener(message);
      };
      child.once('spawn', () => (pid = child.pid));
      child.stdout?.setEncoding('utf8');
      child.stdout?.on(
        'data',
        lineSplitter((line) => {
          const endpoints = parseReadyLine(line);
          if (endpoints) emitMessage({ type: 'ready', endpoints, ...(pid !== undefined ? { pid } : {}) });
          else tail.push(line);
        }),
      );
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', lineSplitter((line) => tail.push(line)));
      child.on('message', emitMessage);
      child.on('error', (type, location) => tail.push(`${type} at ${location}`));
      child.once('exit', (code) => {
        exited = true;
        for (const listener of exitListeners) listener(code, null);
      });
      return {
        get pid() {
          return pid ?? child.pid;
        },
        onMessage: (listener) => void messageListeners.push(listener),
        onExit: (listener) => void exitListeners.push(listener),
        kill: (signal) => {
          if (exited) return false;
          // UtilityProcess.kill() is SIGTERM (and reaps the process); other signals go through the pid.
          if (signal === 'SIGTERM') return child.kill();
          const target = pid ?? child.pid;
          if (target === undefined) return false;
          try {
            process.kill(target, signal);
            return true;
          } catch {
            return false;
          }
        },
        output: () => tail.lines(),
      };
    },
  };
}
