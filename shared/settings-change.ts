import { DEFAULT_SETTINGS, isSettingKey, resolveEachSetting, resolveSettings, validateSetting, type SettingKey, type Settings } from './settings.js';
import { checkSettings, RESTART_SETTINGS } from './settings-rules.js';

/** A change of settings, checked against what is stored before anything is written. */
export interface SettingsChangePlan {
  /** The changed values, each validated. */
  values: Partial<Settings>;
  resets: SettingKey[];
  /** Why the change cannot be saved; empty when it can. */
  errors: string[];
  /** Why a value that can be saved is risky. */
  warnings: string[];
  /** Changed settings a running filter uses only after a restart. */
  restartNeeded: SettingKey[];
  /** Every setting as it will be stored. */
  settings: Settings;
}

/** Refused settings: nothing of the change was written. */
export class SettingsRefused extends Error {
  constructor(readonly problems: string[]) {
    super(`nothing was saved: ${problems.join('; ')}`);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Checks `changes` (and `resets`, back to their defaults) together with the stored settings.
 * Only rules that involve a changed setting refuse the change: an older bad combination in the
 * database does not block fixing something else (the filter meanwhile uses its defaults).
 */
export function planSettingsChange(
  stored: Partial<Record<string, unknown>>,
  changes: Partial<Record<string, unknown>>,
  resets: readonly SettingKey[] = [],
): SettingsChangePlan {
  const errors: string[] = [];
  const values: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, value] of Object.entries(changes)) {
    try {
      if (!isSettingKey(key)) throw new Error(`unknown setting ${key}`);
      values[key] = validateSetting(key, value);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  const settings = { ...resolveEachSetting(stored).settings, ...Object.fromEntries(resets.map((key) => [key, DEFAULT_SETTINGS[key]])), ...values } as Settings;
  const touched = new Set<SettingKey>([...(Object.keys(values) as SettingKey[]), ...resets]);
  const concerns = (issue: { keys: SettingKey[] }) => issue.keys.some((key) => touched.has(key));
  const checked = checkSettings(settings);
  if (errors.length === 0) errors.push(...checked.errors.filter(concerns).map((issue) => issue.message));
  const before = resolveSettings(stored).settings;
  return {
    values: values as Partial<Settings>,
    resets: [...resets],
    errors,
    warnings: checked.warnings.filter(concerns).map((issue) => issue.message),
    restartNeeded: RESTART_SETTINGS.filter((key) => touched.has(key) && !same(settings[key], before[key])),
    settings,
  };
}
