import type { StoreApi } from 'zustand/vanilla';
import type { GreywardApi } from '../../shared/contract.js';
import type { ConnectionMonitor } from '../api/connection.js';
import type { ConnectionsSlice } from './connections-slice.js';
import type { DraftsSlice } from './drafts-slice.js';
import type { FilterSlice } from './filter-slice.js';
import type { InsightSlice } from './insight-slice.js';
import type { ListsSlice } from './lists-slice.js';
import type { LiveSlice } from './live-slice.js';
import type { OverviewSlice } from './overview-slice.js';
import type { SettingsSlice } from './settings-slice.js';
import type { TripletsSlice } from './triplets-slice.js';
import type { UiSlice } from './ui-slice.js';

export interface AppState {
  filter: FilterSlice;
  overview: OverviewSlice;
  live: LiveSlice;
  lists: ListsSlice;
  triplets: TripletsSlice;
  settings: SettingsSlice;
  insight: InsightSlice;
  ui: UiSlice;
  drafts: DraftsSlice;
  connections: ConnectionsSlice;
}

export interface StoreDeps {
  api: GreywardApi;
  connection: ConnectionMonitor;
  /** Injected so that tests can flush by hand; requestAnimationFrame in the app. */
  scheduleFrame: (callback: () => void) => void;
}

export type PatchSlice<K extends keyof AppState> = (patch: Partial<AppState[K]> | ((slice: AppState[K]) => Partial<AppState[K]>)) => void;

export interface SliceContext<K extends keyof AppState> {
  patch: PatchSlice<K>;
  get: () => AppState;
  deps: StoreDeps;
}

export function sliceContext<K extends keyof AppState>(store: Pick<StoreApi<AppState>, 'setState' | 'getState'>, key: K, deps: StoreDeps): SliceContext<K> {
  const patch: PatchSlice<K> = (update) =>
    store.setState((state) => {
      const slice = state[key];
      const changes = typeof update === 'function' ? update(slice) : update;
      return { [key]: { ...slice, ...changes } } as unknown as Partial<AppState>;
    });
  return { patch, get: store.getState, deps };
}
