import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, CommanderError } from 'commander';
import { escapeControls } from '../../shared/printable.js';
import { VERSION } from '../version.js';
import { checkCommand } from './check-command.js';
import { filterCommand } from './filter-command.js';
import { listsCommand } from './lists-command.js';
import { migrateCommand } from './migrate-command.js';
import { settingsCommand } from './settings-command.js';
import { suspectsCommand } from './suspects-command.js';
import { uiCommand } from './ui-command.js';

export function buildProgram(): Command {
  const program = new Command('greyward')
    .description('Greylisting policy service for Postfix, and its administration')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, action) => {
      // The default database's folder may not exist yet (a first run under a new user); a path given is used as given.
      if (action.getOptionValueSource('db') === 'default') mkdirSync(dirname(action.opts<{ db: string }>().db), { recursive: true, mode: 0o700 });
    });
  program.addCommand(filterCommand());
  program.addCommand(checkCommand());
  program.addCommand(settingsCommand());
  program.addCommand(listsCommand());
  program.addCommand(suspectsCommand());
  program.addCommand(uiCommand());
  program.addCommand(migrateCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    // messages quote what was typed or read; a terminal must not act on the control characters in it
    process.stderr.write(`greyward: ${(error as Error).message.split('\n').map(escapeControls).join('\n')}\n`);
    process.exitCode = 1;
  }
}
