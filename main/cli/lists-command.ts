import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseDuration } from '../../shared/duration.js';
import { isListKind, isListName, LIST_KIND_HELP, LIST_KINDS, LIST_NAMES, type ListEntry, type ListName } from '../../shared/lists.js';
import { formatListFile, LIST_FILE_FORMATS, parseListFile, type ListFileFormat } from '../../shared/list-files.js';
import { dbOption, formatTable, jsonOption, nowSeconds, printJson, withStore } from './options.js';

const formatOption = () =>
  new Option('--format <format>', "the file's format").choices([...LIST_FILE_FORMATS]).makeOptionMandatory();
const listOption = (what: string) => new Option('--list <list>', what).choices([...LIST_NAMES]);

function listName(text: string): ListName {
  if (!isListName(text)) throw new Error(`unknown list "${text}"; use allow, grey or deny`);
  return text;
}

function printEntries(entries: ListEntry[]): void {
  if (entries.length === 0) return void process.stdout.write('no entries\n');
  const time = (seconds: number | null) => (seconds === null ? '-' : new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' '));
  const rows = [['ID', 'LIST', 'KIND', 'PATTERN', 'HITS', 'LAST HIT', 'EXPIRES', 'COMMENT']];
  for (const e of entries) rows.push([String(e.id), e.list, e.kind, e.pattern, String(e.hits), time(e.lastHitAt), time(e.expiresAt), e.comment]);
  process.stdout.write(formatTable(rows));
}

export function listsCommand(): Command {
  const command = new Command('lists').description('the allow, grey and deny lists');
  command
    .command('show')
    .description('list entries with their hit counts')
    .addOption(dbOption())
    .addOption(listOption('only this list'))
    .option('--search <text>', 'only entries whose pattern or comment contains this')
    .addOption(jsonOption())
    .action(async (options: { db: string; list?: ListName; search?: string; json?: boolean }) => {
      const entries = await withStore(options.db, (store) => store.listEntries({ ...(options.list ? { list: options.list } : {}), ...(options.search ? { search: options.search } : {}) }));
      if (options.json) printJson(entries);
      else printEntries(entries);
    });
  command
    .command('add')
    .description('add an entry; a running filter applies it within a second')
    .argument('<list>', 'allow, grey or deny')
    .argument('<kind>', `one of: ${LIST_KINDS.join(', ')}`)
    .argument('<pattern>')
    .addOption(dbOption())
    .option('--comment <text>', 'why the entry is there', '')
    .option('--expires <duration>', 'remove its effect after this long, e.g. 7d')
    .addHelpText('after', `\nKinds:\n${LIST_KINDS.map((kind) => `  ${kind.padEnd(20)} ${LIST_KIND_HELP[kind]}`).join('\n')}`)
    .action(async (list: string, kind: string, pattern: string, options: { db: string; comment: string; expires?: string }) => {
      if (!isListKind(kind)) throw new Error(`unknown kind "${kind}"; kinds: ${LIST_KINDS.join(', ')}`);
      const now = nowSeconds();
      const expiresAt = options.expires ? now + parseDuration(options.expires) : null;
      const result = await withStore(options.db, (store) =>
        store.addEntries([{ list: listName(list), kind, pattern, comment: options.comment, source: 'cli', expiresAt }], now),
      );
      process.stdout.write(result.added ? `added to the ${list} list\n` : `already on the ${list} list\n`);
    });
  command
    .command('remove')
    .description('remove entries by id (see lists show)')
    .argument('<ids...>')
    .addOption(dbOption())
    .action(async (idTexts: string[], options: { db: string }) => {
      const ids = idTexts.map((text) => {
        if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not an entry id`);
        return Number(text);
      });
      const removed = await withStore(options.db, (store) => store.removeEntries(ids));
      process.stdout.write(`removed ${removed} of ${ids.length}\n`);
      if (removed < ids.length) process.exitCode = 1;
    });
  command
    .command('import')
    .description('add every entry of a postgrey or sqlgrey whitelist file, or none if any line is wrong')
    .argument('<file>')
    .addOption(dbOption())
    .addOption(formatOption())
    .addOption(listOption('the list to add to').default('allow'))
    .action(async (file: string, options: { db: string; format: ListFileFormat; list: ListName }) => {
      const { entries, errors } = parseListFile(options.format, readFileSync(file, 'utf8'));
      if (errors.length > 0) {
        for (const error of errors) process.stderr.write(`${file}:${error.line}: ${error.message}: ${error.text}\n`);
        throw new Error(`${errors.length} bad line${errors.length === 1 ? '' : 's'} in ${file}; nothing was imported`);
      }
      const source = `import:${file}`;
      const result = await withStore(options.db, (store) =>
        store.addEntries(entries.map((e) => ({ list: options.list, kind: e.kind, pattern: e.pattern, comment: e.comment, source })), nowSeconds()),
      );
      process.stdout.write(`imported ${result.added} entries into the ${options.list} list (${result.duplicates} already there)\n`);
    });
  command
    .command('export')
    .description('write a list as a postgrey or sqlgrey whitelist file ("-" for stdout)')
    .argument('<file>')
    .addOption(dbOption())
    .addOption(formatOption())
    .addOption(listOption('the list to export').default('allow'))
    .action(async (file: string, options: { db: string; format: ListFileFormat; list: ListName }) => {
      const entries = await withStore(options.db, (store) => store.listEntries({ list: options.list }));
      const { text, skipped } = formatListFile(options.format, entries);
      if (file === '-') process.stdout.write(text);
      else writeFileSync(file, text);
      if (skipped.length > 0) process.stderr.write(`${skipped.length} entries of kinds this format cannot hold were left out\n`);
    });
  return command;
}
