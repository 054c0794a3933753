import { useMemo } from 'react';
import { formatSetting, SETTINGS, type SettingKey } from '../../../shared/settings.js';
import { useApp } from '../../store/store.js';

/** A saved value as its field shows it: one network per line reads better in a text area than a space-separated run. */
export function savedText(key: SettingKey, value: unknown): string {
  const formatted = formatSetting(key, value as never);
  return SETTINGS[key].unit === 'networks' ? formatted.split(' ').join('\n') : formatted;
}

/**
 * The texts typed into a settings form, kept in the store across screens. A text typed back to the
 * saved value is no longer a draft, so that the navigation marks only what would really be lost.
 */
export function useDraftTexts(keys: readonly SettingKey[]) {
  const drafts = useApp((state) => state.drafts.settings);
  const setDraft = useApp((state) => state.drafts.setSetting);
  const clearSettings = useApp((state) => state.drafts.clearSettings);
  const screen = useApp((state) => state.ui.screen);
  const values = useApp((state) => state.settings.values);
  const texts = useMemo(() => {
    const own: Partial<Record<SettingKey, string>> = {};
    for (const key of keys) if (drafts[key]) own[key] = drafts[key].text;
    return own;
  }, [drafts, keys]);
  return {
    texts,
    /** The saved value each draft was begun from. */
    startedFrom: (key: SettingKey) => drafts[key]?.saved,
    setText(key: SettingKey, text: string) {
      const saved = values ? savedText(key, values[key]) : undefined;
      if (text === saved || saved === undefined) return setDraft(key, undefined);
      setDraft(key, { text, screen, saved: drafts[key]?.saved ?? saved });
    },
    clearTexts() {
      clearSettings(keys);
    },
  };
}
