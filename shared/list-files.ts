import { normaliseEntryPattern } from './list-entry-checks.js';
import type { ListKind, ListName } from './lists.js';
import { formatPostgreyList, listLineReader, parsePostgreyList, postgreyTokenParser, POSTGREY_FORMAT_KINDS, POSTGREY_FORMATS, type FormattedPostgreyList, type ListFileError, type ParsedListLine, type PostgreyFormat, type PostgreyListEntry } from './postgrey-lists.js';
import { formatSqlgreyList, parseSqlgreyList, SQLGREY_FORMAT_KINDS, SQLGREY_FORMATS, sqlgreyLineReader, type SqlgreyFormat } from './sqlgrey-lists.js';

/** Every list file format Greyward reads and writes: postgrey's and sqlgrey's whitelists. */
export const LIST_FILE_FORMATS = [...POSTGREY_FORMATS, ...SQLGREY_FORMATS] as const;
export type ListFileFormat = PostgreyFormat | SqlgreyFormat;
export type { FormattedPostgreyList as FormattedListFile, ListFileError, ParsedListLine, PostgreyListEntry as ListFileEntry };

export const LIST_FILE_FORMAT_KINDS: Record<ListFileFormat, readonly ListKind[]> = { ...POSTGREY_FORMAT_KINDS, ...SQLGREY_FORMAT_KINDS };

const isPostgrey = (format: ListFileFormat): format is PostgreyFormat => (POSTGREY_FORMATS as readonly string[]).includes(format);

export function parseListFile(format: ListFileFormat, text: string): { entries: ParsedListLine[]; errors: ListFileError[] } {
  // A whitelist is text: a NUL byte means a compressed or binary file, whose every "line" would be an error.
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const line = text.slice(0, nul).split(/\r\n|\r|\n/).length;
    return { entries: [], errors: [{ line, text: '', message: 'the file holds NUL bytes: it is a binary file (compressed?), not a whitelist' }] };
  }
  return isPostgrey(format) ? parsePostgreyList(format, text) : parseSqlgreyList(format, text);
}

/** Reads a list file a line at a time, in order: what parseListFile says of each line, in bounded memory. */
export function listFileLineReader(format: ListFileFormat): (raw: string, line: number) => ParsedListLine | ListFileError | undefined {
  return isPostgrey(format) ? listLineReader(postgreyTokenParser(format)) : sqlgreyLineReader(format);
}

export function formatListFile(format: ListFileFormat, entries: ReadonlyArray<PostgreyListEntry>): FormattedPostgreyList {
  return isPostgrey(format) ? formatPostgreyList(format, entries) : formatSqlgreyList(format, entries);
}

/** The entries of a read file that `list` refuses (on the deny list, a pattern that matches all mail), as line errors. */
export function refusedByList(list: ListName, entries: readonly ParsedListLine[]): ListFileError[] {
  const errors: ListFileError[] = [];
  for (const entry of entries) {
    try {
      normaliseEntryPattern(list, entry.kind, entry.pattern);
    } catch (error) {
      errors.push({ line: entry.line, text: entry.pattern, message: (error as Error).message });
    }
  }
  return errors;
}
