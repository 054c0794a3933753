import { describe, expect, it } from 'vitest';
import { throttle, type ThrottleClock } from './throttle.js';

function fakeClock() {
  let now = 0;
  const timers: Array<{ at: number; callback: () => void; id: number }> = [];
  let nextId = 1;
  const clock: ThrottleClock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, callback, id });
      return id;
    },
    clearTimeout: (handle) => {
      const index = timers.findIndex((t) => t.id === handle);
      if (index !== -1) timers.splice(index, 1);
    },
  };
  /** Moves time on, firing due timers (and letting the promises they start settle). */
  const advance = async (ms: number) => {
    const until = now + ms;
    for (;;) {
      await Promise.resolve();
      timers.sort((a, b) => a.at - b.at);
      const due = timers[0];
      if (!due || due.at > until) break;
      timers.shift();
      now = due.at;
      due.callback();
      await Promise.resolve();
    }
    now = until;
    await Promise.resolve();
  };
  return { clock, advance, pending: () => timers.length, set: (t: number) => (now = t) };
}

describe('throttle', () => {
  it('runs at once, then at most once per interval, and never drops the last request', async () => {
    const { clock, advance, pending } = fakeClock();
    const runs: number[] = [];
    const reload = throttle(() => void runs.push(clock.now()), { intervalMs: 5000, clock });
    reload();
    await advance(0);
    expect(runs).toEqual([0]);
    // A burst of pushed batches inside the interval: one run at its end.
    for (let i = 0; i < 20; i++) {
      await advance(100);
      reload();
    }
    expect(runs).toEqual([0]);
    expect(pending()).toBe(1);
    await advance(5000);
    expect(runs).toEqual([0, 5000]);
    // Quiet for a while: the next request runs at once again.
    await advance(20_000);
    reload();
    await advance(0);
    expect(runs).toEqual([0, 5000, 27_000]);
  });

  it('spaces runs by their cost: a run that took 3 s waits 12 s before the next', async () => {
    const { clock, advance, set } = fakeClock();
    const runs: number[] = [];
    let release: (() => void) | undefined;
    const reload = throttle(
      () =>
        new Promise<void>((resolve) => {
          runs.push(clock.now());
          release = resolve;
        }),
      { intervalMs: 5000, costFactor: 4, clock },
    );
    reload();
    await advance(0);
    // Requests while it runs are not run alongside it.
    reload();
    reload();
    set(3000);
    release!();
    await advance(0);
    expect(runs).toEqual([0]);
    await advance(11_999);
    expect(runs).toEqual([0]);
    await advance(1);
    expect(runs).toEqual([0, 15_000]);
  });

  it('cancel drops a scheduled run', async () => {
    const { clock, advance } = fakeClock();
    const runs: number[] = [];
    const reload = throttle(() => void runs.push(clock.now()), { intervalMs: 5000, clock });
    reload();
    await advance(0);
    reload();
    reload.cancel();
    await advance(10_000);
    expect(runs).toEqual([0]);
  });
});
