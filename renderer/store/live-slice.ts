import type { Attempt } from '../../shared/contract.js';
import { LiveFeed, type FeedSnapshot } from '../live/live-feed.js';
import { settle, type ApiError } from './remote.js';
import type { SliceContext } from './slice.js';

export interface LiveSlice extends FeedSnapshot {
  /** The rows themselves live outside React state; read them with feed.atFromNewest. */
  feed: LiveFeed;
  /** Bumped once per flushed frame: the one value the list re-renders on. */
  version: number;
  paused: boolean;
  query: string;
  loading: boolean;
  error: ApiError | undefined;
  selected: Attempt | undefined;
  load(): Promise<void>;
  setPaused(paused: boolean): void;
  setQuery(query: string): void;
  select(attempt: Attempt | undefined): void;
}

export function createLiveSlice({ patch, deps }: SliceContext<'live'>): LiveSlice {
  const feed = new LiveFeed(
    (snapshot) => patch((slice) => ({ ...snapshot, version: slice.version + 1 })),
    deps.scheduleFrame,
  );
  return {
    feed,
    version: 0,
    visible: 0,
    kept: 0,
    waiting: 0,
    held: 0,
    perSecond: 0,
    paused: false,
    query: '',
    loading: false,
    error: undefined,
    selected: undefined,
    async load() {
      patch({ loading: true, error: undefined });
      // As many as the feed keeps, so that what the screen says it keeps is what it shows from the start.
      const outcome = await settle(() => deps.api['attempts.deferrals']({ limit: feed.capacity }));
      if (outcome.ok) feed.seed(outcome.value.deferrals, outcome.value.passed);
      patch({ loading: false, error: outcome.ok ? undefined : outcome.error });
    },
    setPaused(paused) {
      feed.setPaused(paused);
      patch({ paused });
    },
    setQuery(query) {
      feed.setQuery(query);
      patch({ query });
    },
    select(selected) {
      patch({ selected });
    },
  };
}
