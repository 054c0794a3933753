import { Command } from 'commander';
import { DURATION_RULE } from '../../shared/duration.js';
import { exampleReply } from '../../shared/reply-template.js';
import type { SettingsChangePlan } from '../../shared/settings-change.js';
import { formatSetting, isSettingKey, parseSettingText, resolveSettings, SETTING_KEYS, SETTINGS, type SettingKey } from '../../shared/settings.js';
import { saveSettings } from '../api/save-settings.js';
import { dbOption, formatTable, jsonOption, nowSeconds, printJson, withStore } from './options.js';

function settingKey(text: string): SettingKey {
  if (!isSettingKey(text)) throw new Error(`unknown setting "${text}"; known settings: ${SETTING_KEYS.join(', ')}`);
  return text;
}

const REPLY_KIND: Partial<Record<SettingKey, 'defer' | 'deny'>> = { deferReply: 'defer', denyReply: 'deny' };

/** What was saved, an example of a reply text, what waits for a restart; warnings on stderr. */
function report(key: SettingKey, plan: SettingsChangePlan, note: string): void {
  const lines = [`${key} = ${formatSetting(key, plan.settings[key] as never)}${note}`];
  const kind = REPLY_KIND[key];
  if (kind) lines.push(`  e.g. ${exampleReply(kind, plan.settings[key] as string, plan.settings.delay)}`);
  if (plan.restartNeeded.includes(key)) {
    lines.push(`  a running filter uses it after a restart (systemctl restart greyward-filter, or Restart on the Settings screen); a filter given --listen or --socket keeps those`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const warning of plan.warnings) process.stderr.write(`warning: ${warning}\n`);
}

export function settingsCommand(): Command {
  const command = new Command('settings').description('show and change the greylisting policy and filter settings');
  command
    .command('show')
    .description('every setting with its value, default and meaning')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (options: { db: string; json?: boolean }) => {
      const stored = await withStore(options.db, (store) => store.storedSettings());
      const { settings, problems } = resolveSettings(stored);
      if (options.json) return printJson({ settings, problems });
      const rows = [['SETTING', 'VALUE', 'DEFAULT', 'MEANING']];
      for (const key of SETTING_KEYS) {
        rows.push([key, formatSetting(key, settings[key]), formatSetting(key, SETTINGS[key].default as never), SETTINGS[key].help]);
      }
      process.stdout.write(formatTable(rows));
      for (const problem of problems) process.stderr.write(`warning: ${problem}\n`);
    });
  command
    .command('set')
    .description('change a setting, checked with the others; a running filter applies it within a second (listen and socket: after a restart)')
    .argument('<key>', `one of: ${SETTING_KEYS.join(', ')}`)
    .argument('<value>', `the value as \`settings show\` writes it; ${DURATION_RULE}`)
    .addOption(dbOption())
    .action(async (keyText: string, valueText: string, options: { db: string }) => {
      const key = settingKey(keyText);
      const value = parseSettingText(key, valueText);
      const plan = await withStore(options.db, (store) => saveSettings(store, { [key]: value }, [], nowSeconds()));
      report(key, plan, '');
    });
  command
    .command('reset')
    .description('put a setting back to its default, checked with the others')
    .argument('<key>')
    .addOption(dbOption())
    .action(async (keyText: string, options: { db: string }) => {
      const key = settingKey(keyText);
      const plan = await withStore(options.db, (store) => saveSettings(store, {}, [key], nowSeconds()));
      report(key, plan, ' (default)');
    });
  return command;
}
