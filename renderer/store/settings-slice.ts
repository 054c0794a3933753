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
  /** Why the values of the last save are risky (they were saved). */
  warnings: string[];
  /** Saved settings the running filter uses only after a restart. */
  restartNeeded: SettingKey[];
  /** Settings whose saved value was changed elsewhere (the command line, another window) while shown here, with the value they had. */
  changedElsewhere: Partial<Record<SettingKey, unknown>>;
  load(): Promise<void>;
  /** Reads the settings again because they changed in the database, and notes which values moved. */
  changedOutside(): Promise<void>;
  /** Resolves with the error, or undefined once saved. */
  save(changes: Partial<Record<SettingKey, unknown>>): Promise<ApiError | undefined>;
  /** The filter was restarted: the saved listen and socket settings are in use. */
  restarted(): void;
  dismissWarnings(): void;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function readView(view: { settings: Record<string, unknown>; problems: string[]; databasePath: string }) {
  const resolved = resolveSettings(view.settings);
  return { values: resolved.settings, problems: [...view.problems, ...resolved.problems], databasePath: view.databasePath };
}

export function createSettingsSlice({ patch, get, deps }: SliceContext<'settings'>): SettingsSlice {
  return {
    values: undefined,
    problems: [],
    databasePath: undefined,
    loading: false,
    error: undefined,
    saving: false,
    warnings: [],
    restartNeeded: [],
    changedElsewhere: {},
    async load() {
      patch({ loading: true, error: undefined });
      const outcome = await settle(() => deps.api['settings.get']({}));
      patch(outcome.ok ? { loading: false, ...readView(outcome.value) } : { loading: false, error: outcome.error });
    },
    async changedOutside() {
      const before = get().settings.values;
      const outcome = await settle(() => deps.api['settings.get']({}));
      // This window's own save is answered with the new values already: nothing moved elsewhere.
      if (!outcome.ok || get().settings.saving) return;
      const view = readView(outcome.value);
      const moved: Partial<Record<SettingKey, unknown>> = {};
      if (before) for (const key of Object.keys(view.values) as SettingKey[]) if (!same(before[key], view.values[key])) moved[key] = before[key];
      patch((slice) => ({ ...view, error: undefined, changedElsewhere: { ...slice.changedElsewhere, ...moved } }));
    },
    async save(changes) {
      patch({ saving: true });
      const outcome = await settle(() => deps.api['settings.set']({ changes }));
      if (!outcome.ok) {
        patch({ saving: false });
        return outcome.error;
      }
      const restartNeeded = [...new Set([...get().settings.restartNeeded, ...(outcome.value.restartNeeded as SettingKey[])])];
      patch({ saving: false, ...readView(outcome.value), warnings: outcome.value.warnings, restartNeeded, changedElsewhere: {} });
      return undefined;
    },
    restarted() {
      patch({ restartNeeded: [] });
    },
    dismissWarnings() {
      patch({ warnings: [] });
    },
  };
}
