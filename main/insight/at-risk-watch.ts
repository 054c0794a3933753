import { alertText, newlyAboutToBeLost } from '../../shared/at-risk.js';
import type { Suspect } from '../../shared/insight-contract.js';

/** What an OS notification shows: the words, and the suspects it is about. */
export interface AtRiskAlert {
  title: string;
  body: string;
  suspects: Suspect[];
}

export interface AtRiskWatchOptions {
  /** The default suspects list (open windows, credible first): e.g. the 'suspects.list' handler. */
  list(): Promise<Suspect[]>;
  /** Called once per check that found credible mail newly about to be lost. */
  alert(alert: AtRiskAlert): void;
  /** Default one minute. */
  intervalMs?: number;
  /** A failed look is reported here and tried again at the next interval. */
  onError?(error: Error): void;
  timers?: { setInterval(callback: () => void, ms: number): unknown; clearInterval(handle: unknown): void };
  /** Milliseconds, for spacing looks by their cost. */
  now?: () => number;
}

export interface AtRiskWatch {
  /** Looks now (the timer calls it too); resolves with what it alerted about, if anything. */
  check(): Promise<AtRiskAlert | undefined>;
  stop(): void;
}

export const AT_RISK_WATCH_INTERVAL_MS = 60_000;
/**
 * A look reads the recent attempt log (seconds over a million triplets) in the process that
 * also answers the window: the timer skips its turns until 9 times as long as the last look
 * took has passed, so that the watch never takes more than a tenth of that process's time.
 */
export const AT_RISK_WATCH_COST_FACTOR = 9;

/**
 * Polls the suspects and alerts about credible mail whose retry window closes soon (see
 * shared/at-risk.ts), each suspect once per round. Plain Node: the Electron main process turns
 * an alert into a Notification. The first check runs at once, so that mail about to be lost
 * when the app opens is not left for a minute.
 */
export function startAtRiskWatch(options: AtRiskWatchOptions): AtRiskWatch {
  const timers = options.timers ?? { setInterval: (callback, ms) => setInterval(callback, ms).unref(), clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout) };
  const now = options.now ?? (() => performance.now());
  let alerted: ReadonlySet<string> = new Set();
  let running: Promise<AtRiskAlert | undefined> | undefined;
  let stopped = false;
  let notBefore = Number.NEGATIVE_INFINITY;

  const look = async (): Promise<AtRiskAlert | undefined> => {
    let suspects: Suspect[];
    const started = now();
    try {
      suspects = await options.list();
    } catch (error) {
      options.onError?.(error as Error);
      return undefined;
    } finally {
      const ended = now();
      notBefore = ended + AT_RISK_WATCH_COST_FACTOR * (ended - started);
    }
    if (stopped) return undefined;
    const { fresh, remember } = newlyAboutToBeLost(suspects, alerted);
    alerted = remember;
    if (fresh.length === 0) return undefined;
    const alert = { ...alertText(fresh), suspects: fresh };
    options.alert(alert);
    return alert;
  };

  // One look at a time: a slow database must not stack them up.
  const check = () => (running ??= look().finally(() => (running = undefined)));
  const timer = timers.setInterval(() => {
    if (now() >= notBefore) void check();
  }, options.intervalMs ?? AT_RISK_WATCH_INTERVAL_MS);
  void check();
  return {
    check,
    stop() {
      stopped = true;
      timers.clearInterval(timer);
    },
  };
}
