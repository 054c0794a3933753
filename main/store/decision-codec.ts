import type { AttemptAction, DecisionWrite } from './greylist-store.js';

/**
 * Decisions as one flat array of strings and numbers, the form they cross to the writer thread in.
 * Copying objects between threads copies every property name with every decision; this costs a
 * third as much on each side, and it is paid for every recipient Postfix asks about.
 */
export type EncodedWrites = Array<string | number | null>;

export function encodeWrites(writes: readonly DecisionWrite[]): EncodedWrites {
  const flat: EncodedWrites = [];
  for (const { attempt: a, triplet, clientPasses: c, listHit } of writes) {
    flat.push(a.at, a.clientAddress, a.clientName, a.helo, a.sender, a.recipient, a.queueId, a.action, a.reason, a.rule, a.delay);
    if (triplet) {
      const { key: k, state: s } = triplet;
      flat.push(1, k.clientGroup, k.sender, k.recipient, s.firstSeen, s.lastSeen, s.attempts, s.earlyAttempts, s.passedAt, s.passes, triplet.id ?? null);
    } else flat.push(0);
    if (c) flat.push(1, c.client, c.passes, c.lastCountedAt, c.lastSeen);
    else flat.push(0);
    if (listHit) flat.push(1, listHit.entryId, listHit.at);
    else flat.push(0);
  }
  return flat;
}

export function decodeWrites(flat: EncodedWrites): DecisionWrite[] {
  const writes: DecisionWrite[] = [];
  let i = 0;
  const next = <T extends string | number | null>() => flat[i++] as T;
  while (i < flat.length) {
    const write: DecisionWrite = {
      attempt: {
        at: next<number>(),
        clientAddress: next<string>(),
        clientName: next<string>(),
        helo: next<string>(),
        sender: next<string>(),
        recipient: next<string>(),
        queueId: next<string>(),
        action: next<AttemptAction>(),
        reason: next<string>(),
        rule: next<string>(),
        delay: next<number | null>(),
      },
    };
    if (next<number>() === 1) {
      const key = { clientGroup: next<string>(), sender: next<string>(), recipient: next<string>() };
      const state = {
        firstSeen: next<number>(),
        lastSeen: next<number>(),
        attempts: next<number>(),
        earlyAttempts: next<number>(),
        passedAt: next<number | null>(),
        passes: next<number>(),
      };
      const id = next<number | null>();
      write.triplet = id === null ? { key, state } : { key, state, id };
    }
    if (next<number>() === 1) {
      write.clientPasses = { client: next<string>(), passes: next<number>(), lastCountedAt: next<number>(), lastSeen: next<number>() };
    }
    if (next<number>() === 1) write.listHit = { entryId: next<number>(), at: next<number>() };
    writes.push(write);
  }
  return writes;
}
