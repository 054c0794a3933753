import type { ClientPasses, TripletState } from '../store/greylist-store.js';

/**
 * The greylist a replay builds, held as typed columns by number: a replay of a million attempts
 * keeps a million triplets and clients, which as objects the garbage collector walks again and
 * again. The engine's steps still see objects: one reused object, read just before it is used.
 */

function widened<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(array: T, index: number, fill: number): T {
  let size = array.length;
  while (size <= index) size *= 2;
  const wider = new (array.constructor as new (n: number) => T)(size);
  if (fill !== 0) wider.fill(fill);
  wider.set(array);
  return wider;
}

/** Triplet states by slot; a slot holds none until one is written. */
export class TripletColumns {
  private held: Uint8Array<ArrayBuffer>;
  private firstSeen: Float64Array<ArrayBuffer>;
  private lastSeen: Float64Array<ArrayBuffer>;
  /** NaN while the triplet has not passed. */
  private passedAt: Float64Array<ArrayBuffer>;
  private attempts: Int32Array<ArrayBuffer>;
  private earlyAttempts: Int32Array<ArrayBuffer>;
  private passes: Int32Array<ArrayBuffer>;
  private readonly view: TripletState = { firstSeen: 0, lastSeen: 0, attempts: 0, earlyAttempts: 0, passedAt: null, passes: 0 };

  /** `slots`: how many the replay expects, so that it does not grow them one doubling at a time. */
  constructor(slots = 1024) {
    const size = Math.max(16, slots);
    this.held = new Uint8Array(size);
    this.firstSeen = new Float64Array(size);
    this.lastSeen = new Float64Array(size);
    this.passedAt = new Float64Array(size);
    this.attempts = new Int32Array(size);
    this.earlyAttempts = new Int32Array(size);
    this.passes = new Int32Array(size);
  }

  /** The state in `slot`, in an object that the next read overwrites. */
  read(slot: number): TripletState | undefined {
    if (slot >= this.held.length || !this.held[slot]) return undefined;
    const view = this.view;
    view.firstSeen = this.firstSeen[slot]!;
    view.lastSeen = this.lastSeen[slot]!;
    const passedAt = this.passedAt[slot]!;
    view.passedAt = Number.isNaN(passedAt) ? null : passedAt;
    view.attempts = this.attempts[slot]!;
    view.earlyAttempts = this.earlyAttempts[slot]!;
    view.passes = this.passes[slot]!;
    return view;
  }

  write(slot: number, state: TripletState): void {
    if (slot >= this.held.length) this.grow(slot);
    this.held[slot] = 1;
    this.firstSeen[slot] = state.firstSeen;
    this.lastSeen[slot] = state.lastSeen;
    this.passedAt[slot] = state.passedAt ?? Number.NaN;
    this.attempts[slot] = state.attempts;
    this.earlyAttempts[slot] = state.earlyAttempts;
    this.passes[slot] = state.passes;
  }

  private grow(slot: number): void {
    this.held = widened(this.held, slot, 0);
    this.firstSeen = widened(this.firstSeen, slot, 0);
    this.lastSeen = widened(this.lastSeen, slot, 0);
    this.passedAt = widened(this.passedAt, slot, 0);
    this.attempts = widened(this.attempts, slot, 0);
    this.earlyAttempts = widened(this.earlyAttempts, slot, 0);
    this.passes = widened(this.passes, slot, 0);
  }
}

/** Auto-allow's count of passes by client (or network) number. */
export class ClientColumns {
  private held: Uint8Array<ArrayBuffer>;
  private passes: Int32Array<ArrayBuffer>;
  private lastCountedAt: Float64Array<ArrayBuffer>;
  private lastSeen: Float64Array<ArrayBuffer>;
  private readonly view: ClientPasses = { client: '', passes: 0, lastCountedAt: 0, lastSeen: 0 };

  constructor(clients = 1024) {
    const size = Math.max(16, clients);
    this.held = new Uint8Array(size);
    this.passes = new Int32Array(size);
    this.lastCountedAt = new Float64Array(size);
    this.lastSeen = new Float64Array(size);
  }

  /** The record of `client`, in an object that the next read overwrites. */
  read(client: number): ClientPasses | undefined {
    if (client >= this.held.length || !this.held[client]) return undefined;
    const view = this.view;
    view.passes = this.passes[client]!;
    view.lastCountedAt = this.lastCountedAt[client]!;
    view.lastSeen = this.lastSeen[client]!;
    return view;
  }

  write(client: number, record: Pick<ClientPasses, 'passes' | 'lastCountedAt' | 'lastSeen'>): void {
    if (client >= this.held.length) {
      this.held = widened(this.held, client, 0);
      this.passes = widened(this.passes, client, 0);
      this.lastCountedAt = widened(this.lastCountedAt, client, 0);
      this.lastSeen = widened(this.lastSeen, client, 0);
    }
    this.held[client] = 1;
    this.passes[client] = record.passes;
    this.lastCountedAt[client] = record.lastCountedAt;
    this.lastSeen[client] = record.lastSeen;
  }
}
