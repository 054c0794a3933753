import { useState } from 'react';
import { exampleReply } from '../../../shared/reply-template.js';
import { DEFAULT_SETTINGS, formatSetting, parseSettingText, type SettingKey, type Settings } from '../../../shared/settings.js';
import { checkSettings, RESTART_SETTINGS } from '../../../shared/settings-rules.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';
import { savedText, useDraftTexts } from './use-draft-texts.js';

export interface SettingDraft {
  key: SettingKey;
  /** What the field shows: the draft, or the saved value as people write it. */
  text: string;
  /** Why the draft cannot be saved: its own value, or how it fits with the other settings. */
  error: string | undefined;
  /** Why the draft, which can be saved, is risky. */
  warnings: string[];
  /** A reply text as the filter would send it, with the delay as it would be after saving. */
  example: string | undefined;
  changed: boolean;
  isDefault: boolean;
  defaultText: string;
  /** The saved value as text. */
  savedText: string;
  /** With a draft begun from another saved value: that value (the saved one changed elsewhere meanwhile). */
  draftStartedFrom: string | undefined;
  /** Without a draft: the value it had before it was changed elsewhere. */
  changedElsewhereFrom: string | undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const REPLY_KIND: Partial<Record<SettingKey, 'defer' | 'deny'>> = { deferReply: 'defer', denyReply: 'deny' };

export function formatValue<K extends SettingKey>(key: K, value: Settings[K]): string {
  return formatSetting(key, value);
}

/** Drafts for a group of settings: typed text, validated as it is typed (alone and with the other settings), saved together. */
export function useSettingsForm(keys: readonly SettingKey[]) {
  const values = useApp((state) => state.settings.values);
  const save = useApp((state) => state.settings.save);
  const saving = useApp((state) => state.settings.saving);
  const notify = useApp((state) => state.ui.notify);
  const changedElsewhere = useApp((state) => state.settings.changedElsewhere);
  const { texts, startedFrom, setText, clearTexts } = useDraftTexts(keys);
  const [saveError, setSaveError] = useState<ApiError>();

  const read = keys.map((key) => {
    const saved = values ? savedText(key, values[key]) : '';
    const text = texts[key] ?? saved;
    try {
      return { key, text, saved, parsed: parseSettingText(key, text) as unknown, error: undefined };
    } catch (failure) {
      return { key, text, saved, parsed: undefined, error: (failure as Error).message.replace(`${key}: `, '') };
    }
  });
  const isChanged = (entry: (typeof read)[number]) => !!values && texts[entry.key] !== undefined && (entry.error !== undefined || !same(entry.parsed, values[entry.key]));
  // The settings as they would be saved, to check the rules that tie several of them together.
  const candidate = { ...(values ?? DEFAULT_SETTINGS) } as Record<SettingKey, unknown>;
  for (const entry of read) if (entry.error === undefined && isChanged(entry)) candidate[entry.key] = entry.parsed;
  const combined = checkSettings(candidate as Settings);
  const about = (issues: typeof combined.errors, key: SettingKey) => issues.filter((issue) => issue.keys.includes(key)).map((issue) => issue.message);

  const drafts: SettingDraft[] = read.map((entry) => {
    const changed = isChanged(entry);
    const kind = REPLY_KIND[entry.key];
    const begunFrom = texts[entry.key] === undefined ? undefined : startedFrom(entry.key);
    const before = Object.hasOwn(changedElsewhere, entry.key) ? savedText(entry.key, changedElsewhere[entry.key]) : undefined;
    return {
      key: entry.key,
      text: entry.text,
      error: entry.error ?? (changed ? about(combined.errors, entry.key)[0] : undefined),
      warnings: changed && entry.error === undefined ? about(combined.warnings, entry.key) : [],
      example: kind && entry.error === undefined ? exampleReply(kind, entry.parsed as string, candidate.delay as number) : undefined,
      changed,
      isDefault: entry.error === undefined && same(entry.parsed, DEFAULT_SETTINGS[entry.key]),
      defaultText: formatSetting(entry.key, DEFAULT_SETTINGS[entry.key] as never),
      savedText: entry.saved,
      draftStartedFrom: begunFrom !== undefined && begunFrom !== entry.saved ? begunFrom : undefined,
      changedElsewhereFrom: texts[entry.key] === undefined && before !== undefined && before !== entry.saved ? before : undefined,
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
      setText(key, text);
    },
    discard() {
      setSaveError(undefined);
      clearTexts();
    },
    async submit() {
      const changes = Object.fromEntries(changed.map((draft) => [draft.key, parseSettingText(draft.key, draft.text)]));
      const failure = await save(changes);
      if (failure) return setSaveError(failure);
      clearTexts();
      const later = changed.filter((draft) => RESTART_SETTINGS.includes(draft.key)).map((draft) => draft.key);
      const when = later.length
        ? `The filter uses ${later.join(' and ')} after a restart${changed.length > later.length ? ', the rest within a second' : ''}.`
        : 'The filter applies it within a second.';
      notify({ tone: 'success', text: `Saved ${changed.map((draft) => `${draft.key} = ${draft.text || '(empty)'}`).join(', ')}. ${when}` });
    },
  };
}
