import { useMemo } from 'react';
import { formatSetting, SETTINGS, type SettingKey } from '../../../shared/settings.js';
import { useApp } from '../../store/store.js';

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
    setText(key: SettingKey, text: string) {
      const formatted = values ? formatSetting(key, values[key] as never) : undefined;
      const saved = formatted !== undefined && SETTINGS[key].unit === 'networks' ? formatted.split(' ').join('\n') : formatted;
      setDraft(key, text === saved ? undefined : { text, screen });
    },
    clearTexts() {
      clearSettings(keys);
    },
  };
}
