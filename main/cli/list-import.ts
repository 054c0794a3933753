import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { CommandStore } from './options.js';
import { normaliseEntryPattern } from '../../shared/list-entry-checks.js';
import { listFileLineReader, type ListFileError, type ListFileFormat, type ParsedListLine } from '../../shared/list-files.js';
import type { ListName } from '../../shared/lists.js';
import { counted } from '../../shared/plural.js';
import { escapeControls } from '../../shared/printable.js';

/** Errors printed at most; the rest are counted. */
const ERRORS_SHOWN = 50;

/** The lines of a file, read a megabyte at a time, split as text.split(/\r\n|\r|\n/) would split it. */
function* fileLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
      const text = carry + decoder.write(buffer.subarray(0, read));
      // A final "\r" may be the first half of "\r\n": it waits for the next chunk.
      const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r', text.length - 2));
      if (end === -1) {
        carry = text;
        continue;
      }
      yield* text.slice(0, end).split(/\r\n|\r|\n/);
      carry = text.slice(end + 1);
      if (text[end] === '\r' && carry.startsWith('\n')) carry = carry.slice(1);
    }
    yield* (carry + decoder.end()).split(/\r\n|\r|\n/);
  } finally {
    closeSync(fd);
  }
}

/**
 * What each line of the file says, in order, with what the list itself refuses (a deny entry that
 * would reject all mail) named by its line. A whitelist is text: a NUL byte means a compressed or
 * binary file, whose every "line" would be an error, so it ends the reading with one.
 */
function* fileEntries(path: string, format: ListFileFormat, list: ListName): Generator<ParsedListLine | ListFileError> {
  const read = listFileLineReader(format);
  let line = 0;
  for (const raw of fileLines(path)) {
    line++;
    if (raw.includes('\0')) {
      yield { line, text: '', message: 'the file holds NUL bytes: it is a binary file (compressed?), not a whitelist' };
      return;
    }
    const result = read(raw, line);
    if (result && !('message' in result)) {
      try {
        normaliseEntryPattern(list, result.kind, result.pattern);
      } catch (error) {
        yield { line, text: result.pattern, message: (error as Error).message };
        continue;
      }
    }
    if (result) yield result;
  }
}

export interface ImportOutcome {
  added: number;
  duplicates: number;
}

/**
 * Imports a postgrey or sqlgrey whitelist file of any size, in one transaction: every entry, or none
 * when a line is wrong (each wrong line is reported). A quick first reading counts the lines that
 * hold entries, so that a file the lists cannot hold is refused before anything is written.
 * Memory stays bounded: no reading holds more than a megabyte of the file and one line's entry.
 */
export async function importListFile(
  store: CommandStore,
  options: { file: string; format: ListFileFormat; list: ListName; now: number; report: (line: string) => void },
): Promise<ImportOutcome> {
  const { file, format, list } = options;
  let lines = 0;
  let regexLines = 0;
  for (const raw of fileLines(file)) {
    const token = raw.split('#', 1)[0]!.trim();
    if (token === '') continue;
    lines++;
    if (token.startsWith('/')) regexLines++;
  }
  const full = await store.capacityProblem(lines, regexLines);
  if (full) throw new Error(`${file} has ${lines.toLocaleString('en')} entries, and ${full}`);
  const source = `import:${file}`;
  let errors = 0;
  function* toAdd() {
    for (const result of fileEntries(file, format, list)) {
      if ('message' in result) {
        if (++errors <= ERRORS_SHOWN) options.report(`${escapeControls(file)}:${result.line}: ${escapeControls(result.message)}${result.text ? `: ${escapeControls(result.text)}` : ''}`);
      } else if (errors === 0) {
        yield { list, kind: result.kind, pattern: result.pattern, comment: result.comment, source };
      }
    }
    if (errors > ERRORS_SHOWN) options.report(`… and ${counted(errors - ERRORS_SHOWN, 'more bad line')}`);
    // Thrown inside the transaction: what was added so far is rolled back.
    if (errors > 0) throw new Error(`${counted(errors, 'bad line')} in ${file}; nothing was imported`);
  }
  return store.importEntries(toAdd(), options.now);
}
