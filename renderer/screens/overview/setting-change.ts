import { DEFAULT_SETTINGS, formatSetting, isSettingKey, type Settings } from '../../../shared/settings.js';
import type { Overview } from '../../../shared/contract.js';

export type SettingChange = Overview['chart']['settingChanges'][number];

function valueText(key: string, value: unknown): string {
  if (!isSettingKey(key)) return value === null ? 'default' : JSON.stringify(value);
  const shown = formatSetting(key, (value ?? DEFAULT_SETTINGS[key]) as Settings[typeof key]) || '(none)';
  return value === null ? `${shown} (default)` : shown;
}

/** "delay 5s → 10s": what a change on the chart's time axis did. */
export function describeSettingChange(change: Pick<SettingChange, 'key' | 'from' | 'to'>): string {
  return `${change.key} ${valueText(change.key, change.from)} → ${valueText(change.key, change.to)}`;
}
