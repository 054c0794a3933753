import type { Overview } from '../../shared/contract.js';
import { idle, loading, settle, settled, type Remote } from './remote.js';
import type { SliceContext } from './slice.js';

export interface OverviewSlice extends Remote<Overview> {
  load(): Promise<void>;
}

export function createOverviewSlice({ patch, get, deps }: SliceContext<'overview'>): OverviewSlice {
  return {
    ...idle<Overview>(),
    async load() {
      patch((slice) => loading(slice));
      const outcome = await settle(() => deps.api['overview.get']({}));
      patch((slice) => settled(slice, outcome));
      if (outcome.ok) get().filter.receive(outcome.value.filter);
    },
  };
}
