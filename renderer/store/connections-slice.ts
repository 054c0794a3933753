import type { SavedConnection } from '../../shared/contract.js';
import { settle, type ApiError } from './remote.js';
import type { SliceContext } from './slice.js';

export interface ConnectionsSlice {
  /** Whether this window can keep saved databases: the desktop app can, the browser host cannot. */
  offered: boolean | undefined;
  connections: SavedConnection[];
  /** The saved database open now; null: the local file. */
  current: string | null;
  canStorePasswords: boolean;
  error: ApiError | undefined;
  load(): Promise<void>;
  /** Resolves with what went wrong, or undefined once saved. */
  save(name: string, url: string, password: string): Promise<ApiError | undefined>;
  remove(name: string): Promise<ApiError | undefined>;
  open(name: string | null): Promise<ApiError | undefined>;
}

export function createConnectionsSlice({ patch, get, deps }: SliceContext<'connections'>): ConnectionsSlice {
  const reload = () => get().connections.load();
  return {
    offered: undefined,
    connections: [],
    current: null,
    canStorePasswords: false,
    error: undefined,
    async load() {
      const outcome = await settle(() => deps.api['connections.list']({}));
      // The browser host answers with why it keeps none: the card is not shown there.
      if (!outcome.ok) return patch({ offered: false });
      patch({ offered: true, ...outcome.value, error: undefined });
    },
    async save(name, url, password) {
      const outcome = await settle(() => deps.api['connections.save']({ name, url, ...(password ? { password } : {}) }));
      if (outcome.ok) await reload();
      return outcome.ok ? undefined : outcome.error;
    },
    async remove(name) {
      const outcome = await settle(() => deps.api['connections.remove']({ name }));
      if (outcome.ok) await reload();
      return outcome.ok ? undefined : outcome.error;
    },
    async open(name) {
      const outcome = await settle(() => deps.api['connections.open']({ name }));
      return outcome.ok ? undefined : outcome.error;
    },
  };
}
