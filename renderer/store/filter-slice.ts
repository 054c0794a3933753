import type { FilterStatus } from '../../shared/contract.js';
import { settle, type ApiError } from './remote.js';
import type { SliceContext } from './slice.js';

export interface FilterSlice {
  status: FilterStatus | undefined;
  loading: boolean;
  error: ApiError | undefined;
  restarting: boolean;
  load(): Promise<void>;
  /** Resolves with the error, or undefined once the filter was restarted. */
  restart(): Promise<ApiError | undefined>;
  receive(status: FilterStatus): void;
}

export function createFilterSlice({ patch, deps }: SliceContext<'filter'>): FilterSlice {
  return {
    status: undefined,
    loading: false,
    error: undefined,
    restarting: false,
    async load() {
      patch({ loading: true, error: undefined });
      const outcome = await settle(() => deps.api['filter.status']({}));
      patch(outcome.ok ? { loading: false, status: outcome.value } : { loading: false, error: outcome.error });
    },
    async restart() {
      patch({ restarting: true });
      const outcome = await settle(() => deps.api['filter.restart']({}));
      patch(outcome.ok ? { restarting: false, status: outcome.value, error: undefined } : { restarting: false });
      return outcome.ok ? undefined : outcome.error;
    },
    receive(status) {
      patch({ status, error: undefined });
    },
  };
}
