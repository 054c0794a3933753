import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DURATION_RULE, parseDuration } from '../../shared/duration.js';
import { normaliseEntryPattern, validateExpiry } from '../../shared/list-entry-checks.js';
import { isListKind, isListName, LIST_KIND_HELP, LIST_KINDS, LIST_NAMES, unicodePattern, type ListEntry, type ListKind, type ListName } from '../../shared/lists.js';
import { formatListFile, LIST_FILE_FORMATS, type ListFileFormat } from '../../shared/list-files.js';
import { counted } from '../../shared/plural.js';
import { escapeControls, unshowableTime } from '../../shared/printable.js';
import { importListFile } from './list-import.js';
import { dbOption, formatTable, jsonOption, nowSeconds, printJson, withStore } from './options.js';

const formatOption = () =>
  new Option('--format <format>', "the file's format").choices([...LIST_FILE_FORMATS]).makeOptionMandatory();
const listOption = (what: string) => new Option('--list <list>', what).choices([...LIST_NAMES]);

function listName(text: string): ListName {
  if (!isListName(text)) throw new Error(`unknown list "${text}"; use allow, grey or deny`);
  return text;
}

/** A stored time in UTC; a value written by other means that no calendar reads is said in words. */
function time(seconds: number | null): string {
  if (seconds === null) return '-';
  return unshowableTime(seconds) ?? new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** A pattern as stored, with its Unicode form beside it when it holds an internationalised domain. */
function shownPattern(kind: ListKind, pattern: string): string {
  const unicode = unicodePattern(kind, pattern);
  return escapeControls(unicode ? `${pattern} (${unicode})` : pattern);
}

function printEntries(entries: ListEntry[]): void {
  if (entries.length === 0) return void process.stdout.write('no entries\n');
  const rows = [['ID', 'LIST', 'KIND', 'PATTERN', 'HITS', 'LAST HIT', 'EXPIRES', 'COMMENT']];
  for (const e of entries) {
    rows.push([String(e.id), e.list, e.kind, shownPattern(e.kind, e.pattern), String(e.hits), time(e.lastHitAt), time(e.expiresAt), escapeControls(e.comment)]);
  }
  process.stdout.write(formatTable(rows));
}

function entryId(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`"${escapeControls(text)}" is not an entry id`);
  return Number(text);
}

/** The expiry of an entry added now with `--expires DURATION`, or an Error that names the option. */
function expiryOf(duration: string, now: number): number {
  try {
    return validateExpiry(now + parseDuration(duration), now)!;
  } catch (error) {
    throw new Error(`--expires ${escapeControls(duration)}: ${(error as Error).message}`);
  }
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
    .option('--expires <duration>', `remove its effect after this long, e.g. 7d; ${DURATION_RULE}`)
    .addHelpText('after', `\nKinds:\n${LIST_KINDS.map((kind) => `  ${kind.padEnd(20)} ${LIST_KIND_HELP[kind]}`).join('\n')}`)
    .action(async (list: string, kind: string, pattern: string, options: { db: string; comment: string; expires?: string }) => {
      if (!isListKind(kind)) throw new Error(`unknown kind "${kind}"; kinds: ${LIST_KINDS.join(', ')}`);
      const now = nowSeconds();
      const stored = normaliseEntryPattern(listName(list), kind, pattern);
      const expiresAt = options.expires === undefined ? null : expiryOf(options.expires, now);
      const result = await withStore(options.db, (store) =>
        store.addEntries([{ list: listName(list), kind, pattern, comment: options.comment, source: 'cli', expiresAt }], now),
      );
      const unicode = unicodePattern(kind, stored);
      const as = unicode ? ` as ${stored} (${unicode})` : '';
      process.stdout.write(result.added ? `added to the ${list} list${as}\n` : `already on the ${list} list${as}\n`);
    });
  command
    .command('edit')
    .description("change an entry's pattern, comment or expiry, checked as add checks them; its id, hits and source stay")
    .argument('<id>', 'the entry (see lists show)')
    .addOption(dbOption())
    .option('--pattern <pattern>', 'the new pattern, of the same kind')
    .option('--comment <text>', 'the new comment (empty: none)')
    .option('--expires <duration>', `expire this long from now, e.g. 30d; ${DURATION_RULE}`)
    .option('--no-expires', 'never expire')
    .action(async (idText: string, options: { db: string; pattern?: string; comment?: string; expires?: string | false }) => {
      const id = entryId(idText);
      if (options.pattern === undefined && options.comment === undefined && options.expires === undefined) {
        throw new Error('nothing to change: give --pattern, --comment, --expires or --no-expires');
      }
      const now = nowSeconds();
      const change = {
        ...(options.pattern !== undefined ? { pattern: options.pattern } : {}),
        ...(options.comment !== undefined ? { comment: options.comment } : {}),
        ...(options.expires !== undefined ? { expiresAt: options.expires === false ? null : expiryOf(options.expires, now) } : {}),
      };
      const entry = await withStore(options.db, (store) => store.editEntry(id, change, now));
      printEntries([entry]);
    });
  command
    .command('remove')
    .description('remove entries by id (see lists show)')
    .argument('<ids...>')
    .addOption(dbOption())
    .action(async (idTexts: string[], options: { db: string }) => {
      const ids = idTexts.map(entryId);
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
      const result = await withStore(options.db, (store) =>
        importListFile(store, { file, format: options.format, list: options.list, now: nowSeconds(), report: (line) => process.stderr.write(`${line}\n`) }),
      );
      process.stdout.write(`imported ${counted(result.added, 'entry', 'entries')} into the ${options.list} list (${result.duplicates} already there)\n`);
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
      if (skipped.length > 0) {
        const reasons = [...new Set(skipped.map((entry) => entry.reason))];
        process.stderr.write(`${counted(skipped.length, 'entry was', 'entries were')} left out: ${reasons.slice(0, 5).join('; ')}${reasons.length > 5 ? '; …' : ''}\n`);
      }
    });
  return command;
}
