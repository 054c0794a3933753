import type { FilterStatus } from '../../shared/contract.js';
import type { FilterPresence } from '../store/greylist-store.js';
import { VERSION } from '../version.js';
import { isReadyMessage, type FilterLauncher, type LaunchedProcess } from './launcher.js';
import {
  DEFAULT_ATTACH_POLL_MS,
  DEFAULT_BACKOFF,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_RESTART_CAP,
  DEFAULT_STOP_TIMEOUT_MS,
  formatDelay,
  systemTimers,
  type Backoff,
  type FilterSupervisorOptions,
  type RestartCap,
  type Timers,
} from './supervisor-options.js';

export { nodeLauncher, type FilterLauncher, type LaunchedProcess } from './launcher.js';

function describeEndpoints(endpoints: FilterStatus['endpoints']): string {
  return [endpoints.tcp && `tcp ${endpoints.tcp}`, endpoints.unix && `unix ${endpoints.unix}`].filter(Boolean).join(' and ') || 'its configured address';
}

function describeExit(code: number | null, signal: NodeJS.Signals | null, wasReady: boolean): string {
  const how = signal ? `was killed by ${signal}` : code === null ? 'could not be started' : `exited with code ${code}`;
  return `the filter ${how}${wasReady ? '' : ' before it was ready'}`;
}

interface Child {
  process: LaunchedProcess;
  ready: boolean;
  /** Set when the supervisor ends it on purpose: stop() or restart(). */
  stopRequested: boolean;
  /** Set when the supervisor ends it because it failed (no handshake in time). */
  failure?: string;
  readyTimer?: unknown;
  killTimer?: unknown;
  exited: Promise<void>;
  markExited(): void;
}

type StatusListener = (status: FilterStatus) => void;

const SETTLED_STATES: ReadonlySet<FilterStatus['state']> = new Set(['running', 'attached', 'crashed', 'stopped']);

/**
 * Starts the filter, waits for its ready handshake, restarts it with backoff when it dies, and
 * reports its state; attaches instead where another filter already serves the same database.
 *
 * States: starting (launching or waiting for the handshake) → running; crashed (with a message;
 * a restart is scheduled unless the restart cap was reached); attached (another filter serves the
 * database: Greyward watches it and starts its own only once it is gone); stopped.
 */
export class FilterSupervisor {
  private readonly launcher: FilterLauncher;
  private readonly backoff: Backoff;
  private readonly cap: RestartCap;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly attachPollMs: number;
  private readonly attachMisses: number;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly version: string;

  private current: FilterStatus;
  private readonly listeners = new Set<StatusListener>();
  private settleWaiters: Array<(status: FilterStatus) => void> = [];
  /** Between start() and stop(). */
  private active = false;
  /** Bumped by start/stop/restart: continuations of an older epoch (a probe, a timer) do nothing. */
  private epoch = 0;
  private child: Child | undefined;
  private attachedTo: FilterPresence | undefined;
  private attachMissCount = 0;
  private timer: unknown;
  /** When each automatic restart happened, for the backoff and the cap. */
  private restartTimes: number[] = [];
  private restartsTotal = 0;
  private gaveUpFlag = false;
  private readonly launchedPids = new Set<number>();

  constructor(private readonly options: FilterSupervisorOptions) {
    this.launcher = options.launcher;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.cap = { ...DEFAULT_RESTART_CAP, ...options.restartCap };
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.attachPollMs = options.attachPollMs ?? DEFAULT_ATTACH_POLL_MS;
    this.attachMisses = Math.max(1, options.attachMisses ?? 2);
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? systemTimers;
    this.version = options.version ?? VERSION;
    this.current = this.makeStatus('stopped', 'not started');
  }

  status(): FilterStatus {
    return { ...this.current, endpoints: { ...this.current.endpoints } };
  }

  /** Every status change; returns the unsubscribe function. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Whether the filter is this supervisor's to run (started, starting, or crashed and given up),
   * as opposed to attached to another's or stopped: quitting the app then leaves Postfix without
   * its policy service.
   */
  get ownsFilter(): boolean {
    return this.active && this.attachedTo === undefined;
  }

  /** Whether the last crash reached the restart cap: no restart until restart() is called. */
  get gaveUp(): boolean {
    return this.gaveUpFlag;
  }

  /** Attaches or launches; resolves with the first settled status (running, attached or crashed). */
  start(): Promise<FilterStatus> {
    if (this.active) return SETTLED_STATES.has(this.current.state) ? Promise.resolve(this.status()) : this.settled();
    this.active = true;
    this.gaveUpFlag = false;
    const epoch = ++this.epoch;
    const settled = this.settled();
    this.setStatus(this.makeStatus('starting', 'looking for a filter already serving this database'));
    void this.attachOrLaunch(epoch);
    return settled;
  }

  /** Stops a filter this supervisor started (SIGTERM, SIGKILL after the stop timeout); an attached filter is left running. */
  async stop(): Promise<FilterStatus> {
    this.active = false;
    this.epoch++;
    this.clearTimer();
    const attached = this.attachedTo;
    this.attachedTo = undefined;
    const child = this.child;
    if (child) {
      child.stopRequested = true;
      await this.terminate(child);
    }
    const message = attached
      ? `left the filter (pid ${attached.pid} on ${attached.host}) running: Greyward did not start it`
      : child
        ? 'the filter was stopped'
        : 'not running';
    this.setStatus(this.makeStatus('stopped', message));
    return this.status();
  }

  /**
   * The administrator's restart: forgets earlier crashes (also after the cap was reached) and
   * starts again. A filter Greyward started is stopped first; an attached one is not Greyward's
   * to restart, and stays attached while it runs.
   */
  async restart(): Promise<FilterStatus> {
    if (this.active && this.attachedTo && !this.child) {
      const epoch = this.epoch;
      const found = await this.probe();
      if (epoch === this.epoch && found) {
        this.attachedTo = found;
        this.attachMissCount = 0;
        this.setStatus(
          this.attachedStatus(
            found,
            `the filter (pid ${found.pid} on ${found.host}) was not started by Greyward: restart it where it runs (for example systemctl restart greyward-filter)`,
          ),
        );
        return this.status();
      }
    }
    if (this.active || this.child) await this.stop();
    this.restartTimes = [];
    return this.start();
  }

  private makeStatus(state: FilterStatus['state'], message: string, extra: Partial<FilterStatus> = {}): FilterStatus {
    return { state, pid: null, endpoints: {}, startedAt: null, version: this.version, restarts: this.restartsTotal, message, ...extra };
  }

  private attachedStatus(found: FilterPresence, message?: string): FilterStatus {
    return this.makeStatus(
      'attached',
      message ?? `attached to the filter already serving this database (pid ${found.pid} on ${found.host}); Greyward did not start it and will not stop it`,
      { pid: found.pid, endpoints: { ...found.endpoints }, startedAt: found.startedAt, version: found.version },
    );
  }

  private setStatus(status: FilterStatus): void {
    this.current = status;
    const snapshot = this.status();
    for (const listener of [...this.listeners]) {
      try {
        listener(snapshot);
      } catch {
        // A listener's failure is its own; the supervisor keeps supervising.
      }
    }
    if (SETTLED_STATES.has(status.state)) {
      const waiters = this.settleWaiters;
      this.settleWaiters = [];
      for (const resolve of waiters) resolve(snapshot);
    }
  }

  private settled(): Promise<FilterStatus> {
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number, epoch: number, work: () => void): void {
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (epoch === this.epoch && this.active) work();
    }, ms);
  }

  private async probe(): Promise<FilterPresence | undefined> {
    if (!this.options.findRunningFilter) return undefined;
    try {
      return await this.options.findRunningFilter(this.launchedPids);
    } catch {
      // The database may be briefly locked; not finding another filter means starting ours, and a
      // second filter on the same address would fail to bind and say why.
      return undefined;
    }
  }

  private async attachOrLaunch(epoch: number): Promise<void> {
    const found = await this.probe();
    if (epoch !== this.epoch || !this.active) return;
    if (found) this.attach(found, epoch);
    else this.launch(epoch);
  }

  private attach(found: FilterPresence, epoch: number): void {
    this.attachedTo = found;
    this.attachMissCount = 0;
    this.setStatus(this.attachedStatus(found));
    this.schedule(this.attachPollMs, epoch, () => void this.pollAttached(epoch));
  }

  private async pollAttached(epoch: number): Promise<void> {
    const found = await this.probe();
    if (epoch !== this.epoch || !this.active) return;
    const previous = this.attachedTo;
    if (found) {
      this.attachMissCount = 0;
      this.attachedTo = found;
      if (!previous || previous.pid !== found.pid || previous.host !== found.host) this.setStatus(this.attachedStatus(found));
      this.schedule(this.attachPollMs, epoch, () => void this.pollAttached(epoch));
      return;
    }
    if (++this.attachMissCount < this.attachMisses) {
      this.schedule(this.attachPollMs, epoch, () => void this.pollAttached(epoch));
      return;
    }
    this.attachedTo = undefined;
    this.launch(epoch, previous ? `the filter pid ${previous.pid} is gone; starting Greyward's own` : undefined);
  }

  private filterArgs(): string[] {
    const { db, listen, socket } = this.options;
    return ['--db', db, ...(listen !== undefined ? ['--listen', listen] : []), ...(socket !== undefined ? ['--socket', socket] : [])];
  }

  private launch(epoch: number, why?: string): void {
    let process: LaunchedProcess;
    try {
      process = this.launcher.launch(this.filterArgs());
    } catch (error) {
      this.scheduleRestart(`could not start the filter: ${(error as Error).message}`, epoch);
      return;
    }
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const child: Child = { process, ready: false, stopRequested: false, exited, markExited };
    this.child = child;
    if (process.pid !== undefined) this.launchedPids.add(process.pid);
    const message = why ?? (this.restartsTotal > 0 && this.restartTimes.length > 0 ? `restarting the filter (restart ${this.restartsTotal})` : 'starting the filter');
    this.setStatus(this.makeStatus('starting', message, { pid: process.pid ?? null }));
    child.readyTimer = this.timers.setTimeout(() => {
      child.readyTimer = undefined;
      if (this.child !== child || child.ready || child.stopRequested) return;
      child.failure = `the filter did not say it was ready within ${formatDelay(this.readyTimeoutMs)}`;
      void this.terminate(child, 'SIGKILL');
    }, this.readyTimeoutMs);
    process.onMessage((message) => this.onChildMessage(child, message));
    process.onExit((code, signal) => this.onChildExit(child, code, signal, epoch));
  }

  private onChildMessage(child: Child, message: unknown): void {
    if (!isReadyMessage(message) || this.child !== child || child.ready || child.stopRequested || child.failure) return;
    child.ready = true;
    if (child.readyTimer !== undefined) this.timers.clearTimeout(child.readyTimer);
    child.readyTimer = undefined;
    const pid = child.process.pid ?? message.pid ?? null;
    if (pid !== null) this.launchedPids.add(pid);
    const endpoints = { ...message.endpoints };
    this.setStatus(
      this.makeStatus('running', `answering Postfix on ${describeEndpoints(endpoints)}`, { pid, endpoints, startedAt: Math.floor(this.now() / 1000) }),
    );
  }

  private onChildExit(child: Child, code: number | null, signal: NodeJS.Signals | null, epoch: number): void {
    if (child.readyTimer !== undefined) this.timers.clearTimeout(child.readyTimer);
    if (child.killTimer !== undefined) this.timers.clearTimeout(child.killTimer);
    child.readyTimer = child.killTimer = undefined;
    child.markExited();
    if (this.child !== child) return;
    this.child = undefined;
    if (child.stopRequested) return; // stop() and restart() report what follows.
    const output = child.process.output?.().slice(-3) ?? [];
    const reason = `${child.failure ?? describeExit(code, signal, child.ready)}${output.length ? `: ${output.join('\n')}` : ''}`;
    this.scheduleRestart(reason, epoch);
  }

  private scheduleRestart(reason: string, epoch: number): void {
    if (epoch !== this.epoch || !this.active) return;
    const now = this.now();
    this.restartTimes = this.restartTimes.filter((at) => now - at < this.cap.windowMs);
    if (this.restartTimes.length >= this.cap.restarts) {
      this.clearTimer();
      this.gaveUpFlag = true;
      this.setStatus(
        this.makeStatus(
          'crashed',
          `${reason}\nGave up after ${this.restartTimes.length} restarts within ${formatDelay(this.cap.windowMs)}: fix the cause, then restart the filter.`,
        ),
      );
      return;
    }
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** this.restartTimes.length);
    this.setStatus(this.makeStatus('crashed', `${reason}\nRestarting in ${formatDelay(delay)}.`));
    this.schedule(delay, epoch, () => {
      this.restartTimes.push(this.now());
      this.restartsTotal++;
      this.setStatus(this.makeStatus('starting', `restarting the filter (restart ${this.restartsTotal})`));
      void this.attachOrLaunch(epoch);
    });
  }

  /** SIGTERM (the filter answers what is in flight), SIGKILL after the stop timeout; resolves once it has exited. */
  private terminate(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.readyTimer !== undefined) this.timers.clearTimeout(child.readyTimer);
    child.readyTimer = undefined;
    child.process.kill(signal);
    if (signal !== 'SIGKILL' && child.killTimer === undefined) {
      child.killTimer = this.timers.setTimeout(() => {
        child.killTimer = undefined;
        child.process.kill('SIGKILL');
      }, this.stopTimeoutMs);
    }
    return child.exited;
  }
}
