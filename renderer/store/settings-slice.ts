import { resolveSettings, type SettingKey, type Settings } from '../../shared/settings.js';
import { settle, type ApiError } from './remote.js';
import type { SliceContext } from './slice.js';

export interface SettingsSlice {
  /** Every setting, stored values over the defaults. */
  values: Settings | undefined;
  /** Stored values main could not use (it fell back to their defaults). */
  problems: string[];
  /** Where the database is, as main opened it. */
  databasePath: string | undefined;
  loading: boolean;
  error: ApiError | undefined;
  saving: boolean;
  load(): Promise<void>;
  /** Resolves with the error, or undefined once saved. */
  save(changes: Partial<Record<SettingKey, unknown>>): Promise<ApiError | undefined>;
}

function readView(view: { settings: Record<string, unknown>; problems: string[]; databasePath: string }) {
  const resolved = resolveSettings(view.settings);
  return { values: resolved.settings, problems: [...view.problems, ...resolved.problems], databasePath: view.databasePath };
}

export function createSettingsSlice({ patch, deps }: SliceContext<'settings'>): SettingsSlice {
  return {
    values: undefined,
    problems: [],
    databasePath: undefined,
    loading: false,
    error: undefined,
    saving: false,
    async load() {
      patch({ loading: true, error: undefined });
      const outcome = await settle(() => deps.api['settings.get']({}));
      patch(outcome.ok ? { loading: false, ...readView(outcome.value) } : { loading: false, error: outcome.error });
    },
    async save(changes) {
      patch({ saving: true });
      const outcome = await settle(() => deps.api['settings.set']({ changes }));
      patch(outcome.ok ? { saving: false, ...readView(outcome.value) } : { saving: false });
      return outcome.ok ? undefined : outcome.error;
    },
  };
}
