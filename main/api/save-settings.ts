import { planSettingsChange, SettingsRefused, type SettingsChangePlan } from '../../shared/settings-change.js';
import type { SettingKey } from '../../shared/settings.js';
import { checkEndpoints } from '../filter/endpoint-check.js';
import type { AdminStore } from '../store/greylist-store.js';

/**
 * The one way settings are written, by the command line and the screens alike: checked one by
 * one, together with the stored ones, and listen/socket as the filter checks them when it
 * starts. Throws SettingsRefused, having written nothing, or resolves with the warnings and the
 * settings that need a restart.
 */
export async function saveSettings(store: Pick<AdminStore, 'storedSettings' | 'changeSettings'>, changes: Partial<Record<string, unknown>>, resets: readonly SettingKey[], now: number): Promise<SettingsChangePlan> {
  const plan = planSettingsChange(await store.storedSettings(), changes, resets);
  if (plan.errors.length > 0) throw new SettingsRefused(plan.errors);
  const problems: string[] = [];
  for (const key of ['listen', 'socket'] as const) {
    const value = plan.values[key];
    if (!value) continue;
    try {
      await checkEndpoints(key === 'listen' ? { listen: value, socket: '' } : { listen: '', socket: value });
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new SettingsRefused(problems);
  // Checked again inside the write's transaction, against what is stored by then.
  return store.changeSettings(changes, resets, now);
}
