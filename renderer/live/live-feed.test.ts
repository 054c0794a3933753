import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../shared/contract.js';
import { LiveFeed, type FeedSnapshot } from './live-feed.js';

function attempt(id: number, over: Partial<Attempt> = {}): Attempt {
  return {
    id,
    at: 1_700_000_000 + id,
    clientAddress: `192.0.2.${id % 250}`,
    clientName: 'mail.example.com',
    helo: 'mail.example.com',
    sender: `user${id}@example.com`,
    recipient: 'postmaster@example.org',
    queueId: '',
    action: 'defer',
    reason: 'new',
    rule: '',
    delay: 300,
    tripletId: id,
    attemptNumber: 1,
    ...over,
  };
}

/** A feed whose frames run only when the test says so. */
function setup(capacity = 100) {
  const frames: Array<() => void> = [];
  const snapshots: FeedSnapshot[] = [];
  const feed = new LiveFeed((snapshot) => snapshots.push(snapshot), (callback) => frames.push(callback), capacity);
  const runFrame = () => frames.splice(0).forEach((callback) => callback());
  return { feed, frames, snapshots, runFrame };
}

const ids = (feed: LiveFeed) => Array.from({ length: feed.length }, (_, i) => feed.atFromNewest(i)!.id);

describe('LiveFeed', () => {
  it('publishes once per frame however many batches arrive', () => {
    const { feed, frames, snapshots, runFrame } = setup();
    for (let batch = 0; batch < 50; batch++) feed.receive([attempt(batch * 2 + 1), attempt(batch * 2 + 2)]);
    expect(frames).toHaveLength(1);
    expect(snapshots).toHaveLength(0);
    runFrame();
    expect(snapshots).toHaveLength(1);
    expect(feed.length).toBe(100);
    expect(feed.atFromNewest(0)!.id).toBe(100);
  });

  it('keeps deferrals only, newest first, and ignores an id it already has', () => {
    const { feed, runFrame } = setup();
    feed.receive([attempt(1), attempt(2, { action: 'pass' }), attempt(3, { action: 'allow' }), attempt(4)]);
    feed.receive([attempt(4), attempt(2)]);
    runFrame();
    expect(ids(feed)).toEqual([4, 1]);
  });

  it('never shows more than its capacity, dropping the oldest', () => {
    const { feed, runFrame } = setup(100);
    for (let id = 1; id <= 1000; id++) feed.receive([attempt(id)]);
    runFrame();
    expect(feed.length).toBe(100);
    expect(feed.atFromNewest(0)!.id).toBe(1000);
    expect(feed.atFromNewest(99)!.id).toBe(901);
    expect(feed.atFromNewest(100)).toBeUndefined();
  });

  it('holds what arrives while paused and shows it on resume', () => {
    const { feed, snapshots, runFrame } = setup();
    feed.receive([attempt(1)]);
    runFrame();
    feed.setPaused(true);
    feed.receive([attempt(2), attempt(3)]);
    runFrame();
    expect(ids(feed)).toEqual([1]);
    expect(snapshots.at(-1)!.held).toBe(2);
    feed.setPaused(false);
    runFrame();
    expect(ids(feed)).toEqual([3, 2, 1]);
    expect(snapshots.at(-1)!.held).toBe(0);
  });

  it('filters by client, name, sender or recipient, also for rows that arrive later', () => {
    const { feed, runFrame } = setup();
    feed.receive([attempt(1, { sender: 'alice@example.com' }), attempt(2, { clientName: 'MX.Shop.example.net' })]);
    runFrame();
    feed.setQuery('SHOP');
    expect(ids(feed)).toEqual([2]);
    feed.receive([attempt(3, { recipient: 'sales@shop.example.net' }), attempt(4)]);
    runFrame();
    expect(ids(feed)).toEqual([3, 2]);
    expect(feed.takeAddedCount()).toBe(1);
    feed.setQuery('');
    expect(feed.length).toBe(4);
  });

  it('merges recent attempts fetched at start with what already streamed in', () => {
    const { feed, runFrame } = setup();
    feed.receive([attempt(10), attempt(11)]);
    runFrame();
    feed.seed([attempt(8), attempt(9), attempt(10)]);
    expect(ids(feed)).toEqual([11, 10, 9, 8]);
  });

  it('shows a deferral as passed once its mail gets through: on a retry, by the allow list, or by Pass now', () => {
    const { feed, snapshots, runFrame } = setup();
    feed.receive([attempt(1, { tripletId: 7 }), attempt(2, { tripletId: 8, sender: 'b@example.com' }), attempt(3, { tripletId: 9 }), attempt(4, { tripletId: 10 })]);
    runFrame();
    expect(snapshots.at(-1)).toMatchObject({ kept: 4, waiting: 4 });
    // The retry of triplet 7 passes; a retry of the second mail is let in by an allow entry (no triplet).
    feed.receive([attempt(5, { tripletId: 7, action: 'pass', reason: 'passed', at: 1_700_000_400 }), attempt(6, { tripletId: null, sender: 'B@example.com', action: 'allow', reason: 'allow-list', at: 1_700_000_500 })]);
    runFrame();
    feed.markPassed([9], 1_700_000_600);
    expect(feed.passedOf(feed.atFromNewest(3)!)).toEqual({ at: 1_700_000_400, by: 'retry' });
    expect(feed.passedOf(feed.atFromNewest(2)!)).toEqual({ at: 1_700_000_500, by: 'allow-list' });
    expect(feed.passedOf(feed.atFromNewest(1)!)).toEqual({ at: 1_700_000_600, by: 'you' });
    expect(feed.passedOf(feed.atFromNewest(0)!)).toBeUndefined();
    expect(snapshots.at(-1)).toMatchObject({ kept: 4, waiting: 1 });
    // A deferral after the pass (the triplet started over) is held back again.
    feed.receive([attempt(11, { tripletId: 7, at: 1_700_000_900 })]);
    runFrame();
    expect(feed.passedOf(feed.atFromNewest(0)!)).toBeUndefined();
    expect(snapshots.at(-1)).toMatchObject({ kept: 5, waiting: 2 });
  });

  it('seeds the outcomes of the deferrals loaded at start', () => {
    const { feed, snapshots } = setup();
    feed.seed([attempt(1), attempt(2)], [{ deferralId: 1, at: 1_700_000_300, by: 'administrator' }]);
    expect(feed.passedOf(feed.atFromNewest(1)!)).toEqual({ at: 1_700_000_300, by: 'administrator' });
    expect(feed.passedOf(feed.atFromNewest(0)!)).toBeUndefined();
    expect(snapshots.at(-1)).toMatchObject({ kept: 2, waiting: 1 });
  });

  it('counts what is held back among the kept rows only, as the oldest are dropped and passes arrive', () => {
    const { feed, snapshots, runFrame } = setup(100);
    const count = () => {
      let waiting = 0;
      for (let i = 0; i < feed.length; i++) if (!feed.passedOf(feed.atFromNewest(i)!)) waiting++;
      return waiting;
    };
    for (let id = 1; id <= 250; id++) {
      feed.receive([attempt(id)]);
      // Every third mail passes on its retry a little later.
      if (id % 3 === 0) feed.receive([attempt(1000 + id, { tripletId: id, action: 'pass', reason: 'passed', at: 1_700_000_000 + id + 1 })]);
      runFrame();
      expect(snapshots.at(-1)!.waiting, `after ${id}`).toBe(count());
    }
    expect(snapshots.at(-1)).toMatchObject({ kept: 100, waiting: count() });
    expect(count()).toBeGreaterThan(60);
  });
});
