import type { Settings } from '../../shared/settings.js';
import type { ClientPasses, DecisionWrite, FilterStore, TripletKey, TripletState } from '../store/greylist-store.js';
import { decide, greylistKey, type Decision, type Policy } from './engine.js';
import { ListMatcher } from './list-matcher.js';
import type { Log } from './log.js';
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
  expiryIntervalMs?: number;
  expiryBatch?: number;
}

interface Batch {
  writes: DecisionWrite[];
  logLines: string[];
  triplets: Map<string, TripletState>;
  clients: Map<string, ClientPasses>;
  committed: Promise<void>;
}

const tripletId = (key: TripletKey) => `${key.clientGroup}\0${key.sender}\0${key.recipient}`;

export function decisionLogLine(request: PolicyRequest, decision: Decision): string {
  const fields = [
    `decision queue_id=${request.queueId || '-'}`,
    `client=${request.clientAddress}[${request.clientName}]`,
    `helo=${request.helo || '-'}`,
    `sender=<${request.sender}>`,
    `recipient=<${request.recipient}>`,
    `action=${decision.action}`,
    `reason=${decision.reason}`,
    `delay=${decision.delay ?? '-'}`,
    `rule="${decision.rule.replace(/"/g, "'")}"`,
  ];
  return fields.join(' ');
}

/**
 * Answers policy requests from the store's state. Decisions of one event-loop turn are committed
 * in one transaction before any of them is answered, so an answer is never ahead of the database
 * and the request path pays one commit per batch, not per request.
 */
export class FilterService {
  private policy!: Policy;
  private policyVersion = -1;
  private batch: Batch | undefined;
  private readonly committing = new Set<Batch>();
  private decisions: Promise<unknown> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private expiring = false;
  private stopped = false;
  readonly clock: Clock;

  private constructor(private readonly options: FilterServiceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  static async start(options: FilterServiceOptions): Promise<FilterService> {
    const service = new FilterService(options);
    await service.reload();
    const reloadEvery = options.reloadIntervalMs ?? 250;
    service.timers.push(setInterval(() => void service.reloadIfChanged(), reloadEvery).unref());
    const expireEvery = options.expiryIntervalMs ?? 60_000;
    service.timers.push(setInterval(() => void service.expire(), expireEvery).unref());
    return service;
  }

  get settings(): Settings {
    return this.policy.settings;
  }

  /** Reads lists and settings again (SIGHUP does this too). */
  async reload(): Promise<void> {
    const snapshot = await this.options.store.readPolicy();
    const policy = { settings: snapshot.settings, lists: new ListMatcher(snapshot.entries), productVersion: this.options.productVersion };
    for (const problem of snapshot.problems) this.options.log.warn(`setting ignored: ${problem}`);
    const changed = this.policyVersion !== -1;
    this.policy = policy;
    this.policyVersion = snapshot.version;
    if (changed) {
      const counts = (['allow', 'grey', 'deny'] as const).map((list) => `${list}=${policy.lists.size(list)}`).join(' ');
      this.options.log.info(`policy reloaded (version ${snapshot.version}): ${counts}`);
    }
  }

  private async reloadIfChanged(): Promise<void> {
    try {
      if ((await this.options.store.policyVersion()) !== this.policyVersion) await this.reload();
    } catch (error) {
      this.options.log.warn(`could not reload lists and settings, keeping the current ones: ${(error as Error).message}`);
    }
  }

  /** The action line for Postfix. Never rejects: on an internal error it answers per failMode and logs why. */
  answer(request: PolicyRequest): Promise<string> {
    const result = this.decisions.then(() => this.decideAndQueue(request));
    this.decisions = result.catch(() => undefined);
    return result
      .then(({ decision, batch }) => batch.committed.then(() => decision.reply))
      .catch((error: unknown) => this.failed(request, error));
  }

  /** What would happen now and why, changing nothing. */
  async explain(request: PolicyRequest): Promise<Decision> {
    return decide(request, this.policy, await this.lookup(greylistKey(request, this.policy.settings)), this.clock());
  }

  private failed(request: PolicyRequest, error: unknown): string {
    const reply = this.policy.settings.failMode === 'tempfail' ? 'DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable' : 'DUNNO';
    this.options.log.error(
      `internal error, answered ${reply} (failMode=${this.policy.settings.failMode}) for queue_id=${request.queueId || '-'} ` +
        `client=${request.clientAddress} sender=<${request.sender}> recipient=<${request.recipient}>: ${(error as Error).message}`,
    );
    return reply;
  }

  private async lookup(key: TripletKey): Promise<{ triplet: TripletState | undefined; clientPasses: ClientPasses | undefined }> {
    const id = tripletId(key);
    const fromBatches = <T>(pick: (b: Batch) => T | undefined): T | undefined => {
      const current = this.batch && pick(this.batch);
      if (current) return current;
      for (const batch of this.committing) {
        const found = pick(batch);
        if (found) return found;
      }
      return undefined;
    };
    const triplet = fromBatches((b) => b.triplets.get(id)) ?? (await this.options.store.findTriplet(key));
    const clientPasses = fromBatches((b) => b.clients.get(key.clientGroup)) ?? (await this.options.store.findClientPasses(key.clientGroup));
    return { triplet, clientPasses };
  }

  private async decideAndQueue(request: PolicyRequest): Promise<{ decision: Decision; batch: Batch }> {
    const now = this.clock();
    const needsState = request.protocolState.toUpperCase() === 'RCPT';
    const state = needsState ? await this.lookup(greylistKey(request, this.policy.settings)) : { triplet: undefined, clientPasses: undefined };
    const decision = decide(request, this.policy, state, now);
    const batch = this.currentBatch();
    batch.writes.push({
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
      ...(decision.tripletKey && decision.triplet ? { triplet: { key: decision.tripletKey, state: decision.triplet } } : {}),
      ...(decision.clientPasses ? { clientPasses: decision.clientPasses } : {}),
      ...(decision.listEntry ? { listHit: { entryId: decision.listEntry.id, at: now } } : {}),
    });
    batch.logLines.push(decisionLogLine(request, decision));
    if (decision.tripletKey && decision.triplet) batch.triplets.set(tripletId(decision.tripletKey), decision.triplet);
    if (decision.clientPasses) batch.clients.set(decision.clientPasses.clientGroup, decision.clientPasses);
    return { decision, batch };
  }

  private currentBatch(): Batch {
    if (this.batch) return this.batch;
    let release!: () => void;
    let fail!: (error: unknown) => void;
    const batch: Batch = {
      writes: [],
      logLines: [],
      triplets: new Map(),
      clients: new Map(),
      committed: new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      }),
    };
    batch.committed.catch(() => undefined);
    this.batch = batch;
    setImmediate(() => {
      this.batch = undefined;
      this.committing.add(batch);
      this.options.store
        .commit(batch.writes)
        .then(() => {
          this.options.log.decisions(batch.logLines);
          release();
        }, fail)
        .finally(() => this.committing.delete(batch));
    });
    return batch;
  }

  /** Deletes expired rows in short slices, letting requests in between. */
  async expire(): Promise<number> {
    if (this.expiring || this.stopped) return 0;
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
    } catch (error) {
      this.options.log.warn(`expiry failed, will retry: ${(error as Error).message}`);
    } finally {
      this.expiring = false;
    }
    return total;
  }

  /** Finishes the decisions in flight, then stops timers. The store stays open for the caller to close. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.decisions;
    const inFlight = [...(this.batch ? [this.batch] : []), ...this.committing];
    await Promise.allSettled(inFlight.map((b) => b.committed));
  }
}
