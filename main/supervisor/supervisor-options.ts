import type { FilterPresence } from '../store/greylist-store.js';
import type { FilterLauncher } from './launcher.js';

/* How FilterSupervisor launches, waits, restarts and watches: its options and their defaults. */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Backoff {
  /** Delay before the first restart. */
  initialMs: number;
  /** Longest delay between restarts. */
  maxMs: number;
  /** Each restart within the window waits this many times longer than the previous one. */
  factor: number;
}

export interface RestartCap {
  /** This many automatic restarts within `windowMs`, and the next crash is final until restart(). */
  restarts: number;
  windowMs: number;
}

export interface FilterSupervisorOptions {
  db: string;
  /** HOST:PORT for --listen; undefined: the filter's `listen` setting. */
  listen?: string;
  /** UNIX socket path for --socket; undefined: the filter's `socket` setting. */
  socket?: string;
  launcher: FilterLauncher;
  /**
   * Another filter already serving this database, if any (see presenceProbe), given the pids of
   * the filters this supervisor started (never another's). Without it the supervisor always starts its own.
   */
  findRunningFilter?: (ownPids: ReadonlySet<number>) => Promise<FilterPresence | undefined>;
  /** From launch to the ready handshake. */
  readyTimeoutMs?: number;
  /** From SIGTERM to SIGKILL when stopping. */
  stopTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  restartCap?: Partial<RestartCap>;
  /** How often to check that an attached filter is still there. */
  attachPollMs?: number;
  /** Consecutive checks that miss the attached filter before Greyward starts its own (a filter restarted by systemd is briefly absent). */
  attachMisses?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
  timers?: Timers;
  /** Reported in the status of a filter Greyward starts. */
  version?: string;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000, factor: 2 };
export const DEFAULT_RESTART_CAP: RestartCap = { restarts: 5, windowMs: 60_000 };
export const DEFAULT_READY_TIMEOUT_MS = 15_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
export const DEFAULT_ATTACH_POLL_MS = 5000;

/** Mail an administrator reads: "2 s", "1.5 s", "250 ms". */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
