import type { Settings } from '../../shared/settings.js';
import { StoreUnavailableError, tripletKeyText, type DecisionWrite, type FilterStore, type GreylistState, type MaybePromise, type TripletKey } from '../store/greylist-store.js';
import { DecisionBatcher } from './decision-batcher.js';
import { autoAllowClient, decide, greylistKey, notGreylisted, type Decision, type Policy } from './engine.js';
import { ListMatcher } from './list-matcher.js';
import type { Log } from './log.js';
import { MessageHeaders } from './message-header.js';
import type { PolicyRequest } from './policy-protocol.js';

export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

export interface FilterServiceOptions {
  store: FilterStore;
  log: Log;
  productVersion: string;
  clock?: Clock;
  /** How often another process's list or setting change is looked for. */
  reloadIntervalMs?: number;
  /** 0: never expire (for a service that only explains decisions, beside a running filter). */
  expiryIntervalMs?: number;
  expiryBatch?: number;
  /** Decisions not yet committed beyond which a request waits for the disk (default 20,000). */
  maxBacklog?: number;
  /** How long a request waits for the disk before it is answered per failMode, unrecorded (default 100 ms). */
  maxAnswerWaitMs?: number;
}

interface RequestKeys {
  key: TripletKey;
  /** tripletKeyText(key). */
  text: string;
  client: string;
}

interface QueuedDecision {
  decision: Decision;
  committed: Promise<void>;
}

/** How long the same reload failure goes unrepeated in the log. */
const RELOAD_FAILURE_REPEAT_SECONDS = 300;

/**
 * Answers policy requests from the store's state. Answers do not wait for the database: decisions
 * are committed in batches behind them (see DecisionBatcher). A crash can lose the last few
 * milliseconds of decisions (those senders are deferred once more), never a committed one.
 * Only a writer far behind (maxBacklog decisions, e.g. while another process holds the write
 * lock) makes requests wait, for maxAnswerWaitMs at most: then they are answered per failMode
 * without a decision, so that nothing is answered that is not recorded, and counted.
 */
export class FilterService {
  private policy!: Policy;
  private policyVersion = -1;
  private reloading: Promise<void> = Promise.resolve();
  private checkingPolicy = false;
  private suspended: string | undefined;
  private storeCheck: (() => void) | undefined;
  private reloadFailure: { message: string; loggedAt: number; repeats: number } | undefined;
  private readonly batcher: DecisionBatcher;
  private readonly headers = new MessageHeaders();
  private decisions: Promise<unknown> = Promise.resolve();
  /** Requests queued behind a store that answers later; while there are any, the next ones queue too. */
  private waiting = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private expiring = false;
  /** Why the last commit failed, while the database refuses writes. */
  private unwritable: string | undefined;
  private stopped = false;
  /** Requests answered per failMode without a decision since the writer fell behind. */
  private unrecorded = 0;
  /** Requests answered per failMode, unrecorded, since the store could last be reached. */
  private unreachable = 0;
  /** Decisions lost in failed commits since the database last accepted writes. */
  private lost = 0;
  private readonly maxBacklog: number;
  private readonly maxWaitMs: number;
  readonly clock: Clock;

  private constructor(private readonly options: FilterServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxBacklog = options.maxBacklog ?? 20_000;
    this.maxWaitMs = options.maxAnswerWaitMs ?? 100;
    this.batcher = new DecisionBatcher({ store: options.store, log: options.log, onCommit: (error, count) => this.committed(error, count) });
  }

  static async start(options: FilterServiceOptions): Promise<FilterService> {
    const service = new FilterService(options);
    await service.reload();
    options.store.watchPolicy?.(() => void service.reloadIfChanged());
    const reloadEvery = options.reloadIntervalMs ?? 250;
    service.timers.push(setInterval(() => void service.reloadIfChanged(), reloadEvery).unref());
    const expireEvery = options.expiryIntervalMs ?? 60_000;
    if (expireEvery > 0) {
      // A filter that was down a while starts with a backlog of expired rows: clear it soon, not in a minute.
      service.timers.push(setTimeout(() => void service.expire(), Math.min(expireEvery, 10_000)).unref());
      service.timers.push(setInterval(() => void service.expire(), expireEvery).unref());
    }
    return service;
  }

  get settings(): Settings {
    return this.policy.settings;
  }

  /** Reads lists and settings again (SIGHUP does this too); one reading at a time, the next one after it. */
  reload(): Promise<void> {
    const next = this.reloading.then(() => this.load());
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<void> {
    const started = performance.now();
    const snapshot = await this.options.store.readPolicy();
    const read = performance.now();
    const lists = new ListMatcher(snapshot.lists, this.policy?.lists);
    const policy = { settings: snapshot.settings, lists, productVersion: this.options.productVersion };
    for (const problem of snapshot.problems) this.options.log.warn(`setting ignored: ${problem}`);
    const changed = this.policyVersion !== -1;
    this.policy = policy;
    this.policyVersion = snapshot.version;
    this.reloadFailure = undefined;
    if (changed) {
      const counts = (['allow', 'grey', 'deny'] as const).map((list) => `${list}=${policy.lists.size(list)}`).join(' ');
      const timing = `read in ${Math.round(read - started)} ms, applied in ${Math.round(performance.now() - read)} ms`;
      this.options.log.info(`policy reloaded (version ${snapshot.version}): ${counts} (${timing})`);
    }
  }

  /**
   * Stops using the store: every answer is per failMode from now on, nothing is read or written.
   * For a database that can no longer be trusted; the caller logs why, once.
   */
  suspend(reason: string): void {
    this.suspended = reason;
  }

  /**
   * A check of the store's file to run when a reload fails: a file overwritten in place fails the
   * policy check (every 250 ms) before the file check (every second) sees it, and should be said
   * once, as what it is, not as a reload failure.
   */
  checkStoreOnFailure(check: () => void): void {
    this.storeCheck = check;
  }

  private async reloadIfChanged(): Promise<void> {
    if (this.checkingPolicy || this.suspended) return;
    this.checkingPolicy = true;
    try {
      if ((await this.options.store.policyVersion()) !== this.policyVersion) await this.reload();
    } catch (error) {
      this.storeCheck?.();
      if (this.suspended) return;
      // A reload that keeps failing is said once, then once every few minutes with a count.
      const message = (error as Error).message;
      const now = this.clock();
      const failure = this.reloadFailure;
      if (failure?.message === message && now - failure.loggedAt < RELOAD_FAILURE_REPEAT_SECONDS) {
        failure.repeats++;
      } else {
        const repeats = failure?.message === message && failure.repeats > 0 ? ` (failed ${failure.repeats} more times since)` : '';
        this.options.log.warn(`could not reload lists and settings, keeping the current ones: ${message}${repeats}`);
        this.reloadFailure = { message, loggedAt: now, repeats: 0 };
      }
    } finally {
      this.checkingPolicy = false;
    }
  }

  /**
   * The action line for Postfix. Never rejects: on an internal error, and for as long as the
   * database refuses writes, it answers per failMode and logs why. A string when the store could
   * answer at once and nothing is queued before this request; a promise otherwise.
   */
  answer(request: PolicyRequest): string | Promise<string> {
    const skipped = notGreylisted(request);
    if (skipped) {
      // Not a greylisting decision: kept out of the attempt log, which would otherwise hold one row per connection.
      this.options.log.debug(`not greylisted (${skipped}), answered DUNNO: client=${request.clientAddress || '-'}[${request.clientName}] sender=<${request.sender}> recipient=<${request.recipient}>`);
      return 'DUNNO';
    }
    // Said once when it began (see suspend), not once per request.
    if (this.suspended) return this.failed(request, new Error(this.suspended), false);
    if (this.waiting > 0 || this.batcher.uncommitted > this.maxBacklog) return this.answerInTurn(request);
    if (this.unrecorded > 0) this.recovered();
    try {
      const keys = this.keysOf(request);
      const state = this.lookup(keys);
      if (state instanceof Promise) return this.answerInTurn(request, { keys, state });
      return this.reply(request, this.decideAndQueue(request, this.withPending(keys, state)));
    } catch (error) {
      return this.failed(request, error);
    }
  }

  /** Decides after every decision asked before it, so that two requests for one triplet see each other. */
  private answerInTurn(request: PolicyRequest, asked?: { keys: RequestKeys; state: Promise<GreylistState> }): Promise<string> {
    this.waiting++;
    const deadline = performance.now() + this.maxWaitMs;
    // The decisions queued meanwhile are merged in only now, in turn: they are newer than what was read.
    const queued = this.decisions.then(async () =>
      (await this.roomBefore(deadline)) ? this.decideAndQueue(request, await this.stateInTurn(request, asked)) : undefined,
    );
    const done = () => void this.waiting--;
    this.decisions = queued.then(done, done);
    return queued.then((outcome) => (outcome ? this.reply(request, outcome) : this.unrecordedAnswer())).catch((error: unknown) => this.failed(request, error));
  }

  /** Waits until the writer has room for another decision; false if it has none by the deadline. */
  private async roomBefore(deadline: number): Promise<boolean> {
    while (this.batcher.uncommitted > this.maxBacklog) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.batcher.nextCommit(), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    this.recovered();
    return true;
  }

  /** Says how many went unrecorded, once the writer has room again and its commits succeed. */
  private recovered(): void {
    if (this.unrecorded === 0 || this.unwritable) return;
    this.options.log.info(`the database takes decisions again; ${this.unrecorded} requests were answered ${this.failReply()} without being recorded`);
    this.unrecorded = 0;
  }

  private unrecordedAnswer(): string {
    if (this.unrecorded++ === 0) {
      this.options.log.error(
        `the database has not taken ${this.batcher.uncommitted} decisions for ${this.maxWaitMs} ms (is another process holding its write lock?); ` +
          `answering ${this.failReply()} (failMode=${this.policy.settings.failMode}) without recording, until it takes them`,
      );
    }
    return this.failReply();
  }

  private failReply(): string {
    return this.policy.settings.failMode === 'tempfail' ? 'DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable' : 'DUNNO';
  }

  private reply(request: PolicyRequest, { decision }: QueuedDecision): string {
    if (this.unwritable) return this.failed(request, new Error(`the database refuses writes: ${this.unwritable}`), false);
    return decision.reply;
  }

  /** What would happen now and why, changing nothing. */
  async explain(request: PolicyRequest): Promise<Decision> {
    const keys = this.keysOf(request);
    return decide(request, this.policy, this.withPending(keys, await this.lookup(keys)), this.clock());
  }

  private failed(request: PolicyRequest, error: unknown, log = true): string {
    const reply = this.failReply();
    if (error instanceof StoreUnavailableError) {
      if (this.unreachable++ === 0) {
        this.options.log.error(`${error.message}: answering ${reply} (failMode=${this.policy.settings.failMode}) without greylisting until it is back`);
      }
      return reply;
    }
    if (log) {
      this.options.log.error(
        `internal error, answered ${reply} (failMode=${this.policy.settings.failMode}) for queue_id=${request.queueId || '-'} ` +
          `client=${request.clientAddress} sender=<${request.sender}> recipient=<${request.recipient}>: ${(error as Error).message}`,
      );
    }
    return reply;
  }

  /** The triplet and the client (as auto-allow counts it) a request is about, worked out once per request. */
  private keysOf(request: PolicyRequest): RequestKeys {
    const key = greylistKey(request, this.policy.settings);
    return { key, text: tripletKeyText(key), client: autoAllowClient(request, this.policy.settings) };
  }

  /** The stored state, unless decisions not yet committed hold all of it. */
  private lookup({ key, text, client }: RequestKeys): MaybePromise<GreylistState> {
    if (this.batcher.triplet(text) && this.batcher.clientPasses(client)) return { triplet: undefined, clientPasses: undefined };
    return this.options.store.findGreylistState(key, client);
  }

  /** In turn: what was read when the request came (or now, for a request that waited for room), with the decisions queued since. */
  private async stateInTurn(request: PolicyRequest, asked: { keys: RequestKeys; state: Promise<GreylistState> } | undefined): Promise<GreylistState> {
    const keys = asked?.keys ?? this.keysOf(request);
    return this.withPending(keys, await (asked?.state ?? this.lookup(keys)));
  }

  /** A decision not yet committed is newer than the stored row; the row's id still names the same triplet. */
  private withPending({ text, client }: RequestKeys, stored: GreylistState): GreylistState {
    const triplet = this.batcher.triplet(text);
    const clientPasses = this.batcher.clientPasses(client);
    return { ...stored, triplet: triplet ?? stored.triplet, clientPasses: clientPasses ?? stored.clientPasses };
  }

  private committed(error: Error | undefined, count: number): void {
    if (!error) {
      if (this.unwritable) this.options.log.info(`the database accepts writes again; greylisting resumes (${this.lost} decisions could not be recorded meanwhile)`);
      this.unwritable = undefined;
      this.lost = 0;
      return;
    }
    this.lost += count;
    if (!this.unwritable) {
      const answer = this.policy.settings.failMode === 'open' ? 'DUNNO' : 'a temporary failure';
      this.options.log.error(`could not record ${count} decisions (${error.message}); answering ${answer} until the database accepts writes again`);
    }
    this.unwritable = error.message;
  }

  private decideAndQueue(request: PolicyRequest, state: GreylistState): QueuedDecision {
    if (this.unreachable > 0) {
      this.options.log.info(`the database can be reached again; greylisting resumes (${this.unreachable} requests were answered ${this.failReply()} meanwhile, unrecorded)`);
      this.unreachable = 0;
    }
    const now = this.clock();
    const decided = decide(request, this.policy, state, now);
    const decision = decided.reply.startsWith('PREPEND ') && !this.headers.firstFor(request) ? { ...decided, reply: 'DUNNO' } : decided;
    const write: DecisionWrite = {
      attempt: {
        at: now,
        clientAddress: request.clientAddress,
        clientName: request.clientName,
        helo: request.helo,
        sender: request.sender,
        recipient: request.recipient,
        queueId: request.queueId,
        action: decision.action,
        reason: decision.reason,
        rule: decision.rule,
        delay: decision.delay,
      },
      ...(decision.tripletKey && decision.triplet
        ? {
            triplet: {
              key: decision.tripletKey,
              state: decision.triplet,
              ...(state.tripletId === undefined ? {} : { id: state.tripletId }),
              ...(state.triplet ? { from: state.triplet } : {}),
            },
          }
        : {}),
      ...(decision.clientPasses ? { clientPasses: decision.clientPasses, ...(state.clientPasses ? { clientPassesFrom: state.clientPasses } : {}) } : {}),
      ...(decision.listEntry ? { listHit: { entryId: decision.listEntry.id, at: now } } : {}),
    };
    return { decision, committed: this.batcher.add(write) };
  }

  /** Deletes expired rows in short slices, letting requests in between. */
  async expire(): Promise<number> {
    if (this.expiring || this.stopped || this.suspended) return 0;
    this.expiring = true;
    const batch = this.options.expiryBatch ?? 500;
    let total = 0;
    try {
      for (let slice = 0; slice < 1000 && !this.stopped; slice++) {
        const deleted = await this.options.store.expire({ now: this.clock(), settings: this.policy.settings, batch });
        total += deleted;
        if (deleted === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (total > 0) this.options.log.info(`expired ${total} old triplets, clients and log rows`);
      await this.collectStrings();
    } catch (error) {
      this.options.log.warn(`expiry failed, will retry: ${(error as Error).message}`);
    } finally {
      this.expiring = false;
    }
    return total;
  }

  /** Deletes the texts nothing names any more, when due, in steps with requests in between. */
  private async collectStrings(): Promise<void> {
    let deleted = 0;
    for (let step = 0; step < 100_000 && !this.stopped; step++) {
      const collection = await this.options.store.collectStrings(this.clock());
      deleted += collection.deleted;
      if (!collection.more) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (deleted > 0) this.options.log.info(`deleted ${deleted} texts no attempt or triplet names any more`);
  }

  /** Resolves once every decision made so far has been committed (or has failed to be). */
  async settle(): Promise<void> {
    await this.decisions;
    await this.batcher.drain();
  }

  /** Finishes the decisions in flight, then stops timers. The store stays open for the caller to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.decisions;
    await this.batcher.drain();
  }
}
