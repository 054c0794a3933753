import { useContext, createContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createConnectionsSlice } from './connections-slice.js';
import { createDraftsSlice } from './drafts-slice.js';
import { createFilterSlice } from './filter-slice.js';
import { createInsightSlice } from './insight-slice.js';
import { createListsSlice } from './lists-slice.js';
import { createLiveSlice } from './live-slice.js';
import { createOverviewSlice } from './overview-slice.js';
import { createSettingsSlice } from './settings-slice.js';
import { sliceContext, type AppState, type StoreDeps } from './slice.js';
import { createTripletsSlice } from './triplets-slice.js';
import { createUiSlice, type Screen } from './ui-slice.js';

export type AppStore = StoreApi<AppState>;

/** One store of typed slices; each slice only patches its own key. */
export function createAppStore(deps: StoreDeps, initialScreen: Screen = 'overview'): AppStore {
  return createStore<AppState>()((_set, _get, store) => ({
    filter: createFilterSlice(sliceContext(store, 'filter', deps)),
    overview: createOverviewSlice(sliceContext(store, 'overview', deps)),
    live: createLiveSlice(sliceContext(store, 'live', deps)),
    lists: createListsSlice(sliceContext(store, 'lists', deps)),
    triplets: createTripletsSlice(sliceContext(store, 'triplets', deps)),
    settings: createSettingsSlice(sliceContext(store, 'settings', deps)),
    insight: createInsightSlice(sliceContext(store, 'insight', deps)),
    ui: createUiSlice(sliceContext(store, 'ui', deps), initialScreen),
    drafts: createDraftsSlice(sliceContext(store, 'drafts', deps)),
    connections: createConnectionsSlice(sliceContext(store, 'connections', deps)),
  }));
}

/**
 * Connects the store to main's pushes and the connection: filter status and live attempts
 * arrive as events; after a reconnect everything that may have been missed is reloaded.
 */
export function wireStore(store: AppStore, deps: StoreDeps): () => void {
  const state = () => store.getState();
  const stops = [
    deps.api.on('filter.status', (status) => state().filter.receive(status)),
    deps.api.on('attempts.added', (batch) => state().live.feed.receive(batch)),
    deps.api.on('policy.changed', (change) => {
      if (change.settings) void state().settings.changedOutside();
      // Only a list that was shown is read again; one never opened is read when it is.
      if (change.lists && state().lists.loadedFor) void state().lists.load();
    }),
    deps.connection.subscribe((connection) => state().ui.setConnection(connection)),
    deps.connection.onReconnect(() => {
      void state().filter.load();
      void state().live.load();
      void state().settings.load();
    }),
  ];
  const ticker = setInterval(() => state().live.feed.tick(), 1000);
  void state().filter.load();
  void state().settings.load();
  void state().live.load();
  return () => {
    clearInterval(ticker);
    for (const stop of stops) stop();
  };
}

export const StoreContext = createContext<AppStore | undefined>(undefined);

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore outside StoreContext');
  return store;
}

/** An atomic selector over the app store: select one value, not whole slices. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore(), selector);
}
