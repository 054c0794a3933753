import type { ChartRange, Overview } from '../../shared/contract.js';
import { idle, loading, settle, settled, type Remote } from './remote.js';
import type { SliceContext } from './slice.js';

export interface OverviewSlice extends Remote<Overview> {
  /** The chart range the administrator picked; until then main picks one that suits the log's age. */
  range: ChartRange | undefined;
  load(): Promise<void>;
  setRange(range: ChartRange): void;
}

export function createOverviewSlice({ patch, get, deps }: SliceContext<'overview'>): OverviewSlice {
  return {
    ...idle<Overview>(),
    range: undefined,
    async load() {
      const range = get().overview.range;
      patch((slice) => loading(slice));
      const outcome = await settle(() => deps.api['overview.get'](range ? { range } : {}));
      // An answer for a range no longer chosen is dropped: the newer request answers.
      if (get().overview.range !== range) return;
      patch((slice) => settled(slice, outcome));
      if (outcome.ok) get().filter.receive(outcome.value.filter);
    },
    setRange(range) {
      patch({ range });
      void get().overview.load();
    },
  };
}
