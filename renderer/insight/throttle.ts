export interface ThrottleClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: ThrottleClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ThrottleOptions {
  /** At least this long from the end of one run to the start of the next. */
  intervalMs: number;
  /**
   * And at least this many times as long as the last run took: a request that keeps the server
   * busy for seconds (classifying a large log) is asked less often, so that it never takes more
   * than 1/(factor+1) of the server's time. Default 4.
   */
  costFactor?: number;
  clock?: ThrottleClock;
}

export interface Throttled {
  /** Asks for a run: at once if the last one ended long enough ago, else once when the gap is over. */
  (): void;
  cancel(): void;
}

/**
 * One run at a time, spaced by the interval (or by the cost of the last run), and never a
 * request lost: a burst of calls gives one run now and one when the gap is over. For reloads
 * driven by pushed events: new attempts arrive many times a second on a busy server.
 */
export function throttle(run: () => void | Promise<void>, options: ThrottleOptions): Throttled {
  const clock = options.clock ?? REAL_CLOCK;
  const factor = options.costFactor ?? 4;
  let readyAt = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let running = false;
  let wanted = false;
  let cancelled = false;

  const fire = async () => {
    timer = undefined;
    wanted = false;
    running = true;
    const started = clock.now();
    try {
      await run();
    } finally {
      running = false;
      const ended = clock.now();
      readyAt = ended + Math.max(options.intervalMs, factor * (ended - started));
      if (wanted && !cancelled) schedule();
    }
  };
  const schedule = () => {
    if (timer !== undefined) return;
    const wait = readyAt - clock.now();
    if (wait <= 0) void fire();
    else timer = clock.setTimeout(() => void fire(), wait);
  };
  const throttled = () => {
    cancelled = false;
    if (running) wanted = true;
    else schedule();
  };
  throttled.cancel = () => {
    cancelled = true;
    wanted = false;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
