import type { SettingKey } from '../../shared/settings.js';
import type { SliceContext } from './slice.js';
import type { Screen } from './ui-slice.js';

export interface SettingDraftText {
  text: string;
  /** The screen it was typed on, which the navigation marks while it is unsaved. */
  screen: Screen;
  /** The saved value, as text, when typing began: a saved value changed since was changed elsewhere. */
  saved: string;
}

/**
 * Settings typed but not saved yet. They live in the store, not in the form, so that leaving
 * the Policy or Settings screen keeps them: coming back shows them with "N unsaved changes".
 */
export interface DraftsSlice {
  settings: Partial<Record<SettingKey, SettingDraftText>>;
  setSetting(key: SettingKey, draft: SettingDraftText | undefined): void;
  clearSettings(keys: readonly SettingKey[]): void;
}

export function createDraftsSlice({ patch }: SliceContext<'drafts'>): DraftsSlice {
  return {
    settings: {},
    setSetting(key, draft) {
      patch((slice) => {
        const settings = { ...slice.settings };
        if (draft) settings[key] = draft;
        else delete settings[key];
        return { settings };
      });
    },
    clearSettings(keys) {
      patch((slice) => {
        const settings = { ...slice.settings };
        for (const key of keys) delete settings[key];
        return { settings };
      });
    },
  };
}

/** Screens with settings typed and not saved. */
export function screensWithDrafts(drafts: DraftsSlice['settings']): Set<Screen> {
  return new Set(Object.values(drafts).map((draft) => draft!.screen));
}
