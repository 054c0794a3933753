import { useState } from 'react';
import { DEFAULT_SETTINGS, SETTINGS, formatSetting, parseSettingText, type SettingKey, type Settings } from '../../../shared/settings.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';

export interface SettingDraft {
  key: SettingKey;
  /** What the field shows: the draft, or the saved value as people write it. */
  text: string;
  error: string | undefined;
  changed: boolean;
  isDefault: boolean;
  defaultText: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function formatValue<K extends SettingKey>(key: K, value: Settings[K]): string {
  return formatSetting(key, value);
}

/** Drafts for a group of settings: typed text, validated as it is typed, saved together. */
export function useSettingsForm(keys: readonly SettingKey[]) {
  const values = useApp((state) => state.settings.values);
  const save = useApp((state) => state.settings.save);
  const saving = useApp((state) => state.settings.saving);
  const notify = useApp((state) => state.ui.notify);
  const [texts, setTexts] = useState<Partial<Record<SettingKey, string>>>({});
  const [saveError, setSaveError] = useState<ApiError>();

  const drafts: SettingDraft[] = keys.map((key) => {
    const formatted = values ? formatSetting(key, values[key] as never) : '';
    // One network per line reads better in a text area than a space-separated run.
    const saved = SETTINGS[key].unit === 'networks' ? formatted.split(' ').join('\n') : formatted;
    const text = texts[key] ?? saved;
    let error: string | undefined;
    let parsed: unknown;
    try {
      parsed = parseSettingText(key, text);
    } catch (failure) {
      error = (failure as Error).message.replace(`${key}: `, '');
    }
    return {
      key,
      text,
      error,
      changed: !!values && texts[key] !== undefined && (error !== undefined || !same(parsed, values[key])),
      isDefault: !error && same(parsed, DEFAULT_SETTINGS[key]),
      defaultText: formatSetting(key, DEFAULT_SETTINGS[key] as never),
    };
  });

  const changed = drafts.filter((draft) => draft.changed);
  const invalid = drafts.some((draft) => draft.error !== undefined && texts[draft.key] !== undefined);

  return {
    drafts,
    changedCount: changed.length,
    invalid,
    saving,
    saveError,
    edit(key: SettingKey, text: string) {
      setSaveError(undefined);
      setTexts((current) => ({ ...current, [key]: text }));
    },
    discard() {
      setSaveError(undefined);
      setTexts({});
    },
    async submit() {
      const changes = Object.fromEntries(changed.map((draft) => [draft.key, parseSettingText(draft.key, draft.text)]));
      const failure = await save(changes);
      if (failure) return setSaveError(failure);
      setTexts({});
      notify({ tone: 'success', text: `Saved ${changed.map((draft) => `${draft.key} = ${draft.text || '(empty)'}`).join(', ')}. The filter applies it within a second.` });
    },
  };
}
