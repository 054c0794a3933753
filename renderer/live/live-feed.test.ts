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
});
