import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DecisionWrite, FilterStore } from '../store/greylist-store.js';
import { DecisionBatcher } from './decision-batcher.js';
import { quietLog } from './log.js';

const write = (n: number): DecisionWrite => ({
  attempt: { at: n, clientAddress: '192.0.2.1', clientName: '', helo: '', sender: `s${n}@example.org`, recipient: 'r@example.net', queueId: '', action: 'defer', reason: 'new', rule: '', delay: 300 },
});

/** A store whose commits finish only when the test says so. */
function heldStore() {
  const commits: Array<{ size: number; finish: () => void }> = [];
  const store = {
    commit: (writes: readonly DecisionWrite[]) => new Promise<void>((resolve) => commits.push({ size: writes.length, finish: resolve })),
  } as unknown as FilterStore;
  return { store, commits };
}

describe('DecisionBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets the next batch grow while a commit is on its way, and sends it as soon as that commit returns', async () => {
    const { store, commits } = heldStore();
    const batcher = new DecisionBatcher({ store, log: quietLog(), onCommit: () => {}, windowMs: 2 });
    void batcher.add(write(0));
    await vi.advanceTimersByTimeAsync(2);
    expect(commits.map((c) => c.size)).toEqual([1]);

    for (let n = 1; n <= 5; n++) {
      void batcher.add(write(n));
      await vi.advanceTimersByTimeAsync(3);
    }
    expect(commits.map((c) => c.size)).toEqual([1]);
    expect(batcher.backlog).toBe(1);

    commits[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(commits.map((c) => c.size)).toEqual([1, 5]);
    commits[1]!.finish();
    await batcher.drain();
    expect(batcher.backlog).toBe(0);
  });

  it('sends a full batch at once, even while another commit is on its way', async () => {
    const { store, commits } = heldStore();
    const batcher = new DecisionBatcher({ store, log: quietLog(), onCommit: () => {}, windowMs: 2, maxBatch: 3 });
    void batcher.add(write(0));
    await vi.advanceTimersByTimeAsync(2);
    for (let n = 1; n <= 3; n++) void batcher.add(write(n));
    expect(commits.map((c) => c.size)).toEqual([1, 3]);
    for (const commit of commits) commit.finish();
    await batcher.drain();
  });

  it('settles a batch whose store throws instead of rejecting, and keeps batching after it', async () => {
    const { store, commits } = heldStore();
    let throws = true;
    const failing = {
      commit: (writes: readonly DecisionWrite[]) => {
        if (throws) throw new Error('database is locked');
        return store.commit(writes);
      },
    } as unknown as FilterStore;
    const outcomes: Array<string | undefined> = [];
    const batcher = new DecisionBatcher({ store: failing, log: quietLog(), onCommit: (error) => outcomes.push(error?.message), windowMs: 2 });
    const first = batcher.add(write(0));
    await vi.advanceTimersByTimeAsync(2);
    await first;
    expect(outcomes).toEqual(['database is locked']);
    expect(batcher.backlog).toBe(0);

    throws = false;
    void batcher.add(write(1));
    await vi.advanceTimersByTimeAsync(2);
    expect(commits.map((c) => c.size)).toEqual([1]);
    commits[0]!.finish();
    await batcher.drain();
    expect(outcomes).toEqual(['database is locked', undefined]);
  });
});
