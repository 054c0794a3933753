import { Command } from 'commander';
import { formatSetting, isSettingKey, parseSettingText, resolveSettings, SETTING_KEYS, SETTINGS, type SettingKey } from '../../shared/settings.js';
import { dbOption, formatTable, jsonOption, nowSeconds, printJson, withStore } from './options.js';

function settingKey(text: string): SettingKey {
  if (!isSettingKey(text)) throw new Error(`unknown setting "${text}"; known settings: ${SETTING_KEYS.join(', ')}`);
  return text;
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
    .description('change a setting; a running filter applies it within a second')
    .argument('<key>', `one of: ${SETTING_KEYS.join(', ')}`)
    .argument('<value>', 'durations take a unit: 300s, 5m, 48h, 35d')
    .addOption(dbOption())
    .action(async (keyText: string, valueText: string, options: { db: string }) => {
      const key = settingKey(keyText);
      const value = parseSettingText(key, valueText);
      await withStore(options.db, (store) => store.setSetting(key, value, nowSeconds()));
      process.stdout.write(`${key} = ${formatSetting(key, value)}\n`);
    });
  command
    .command('reset')
    .description('put a setting back to its default')
    .argument('<key>')
    .addOption(dbOption())
    .action(async (keyText: string, options: { db: string }) => {
      const key = settingKey(keyText);
      await withStore(options.db, (store) => store.resetSetting(key));
      process.stdout.write(`${key} = ${formatSetting(key, SETTINGS[key].default as never)} (default)\n`);
    });
  return command;
}
