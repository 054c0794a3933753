import { useEffect, useState } from 'react';
import { LIST_NAMES, type ListName } from '../../../shared/lists.js';
import { LIST_FILE_FORMATS, parseListFile, refusedByList, type ListFileError, type ListFileFormat, type ParsedListLine } from '../../../shared/list-files.js';
import { counted } from '../../../shared/plural.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { formatCount } from '../../format/time.js';
import type { ImportResult } from '../../store/lists-slice.js';
import { useApp } from '../../store/store.js';
import { FORMAT_LABELS, guessFormat } from './import-formats.js';
import { ImportEntries, ImportErrors, ImportProgress } from './ImportPreview.js';

type Parsed = { entries: ParsedListLine[]; errors: ListFileError[] };

/** The file read for `list`: its line errors, and the entries that list refuses (a deny pattern matching all mail). */
function readFor(format: ListFileFormat, list: ListName, text: string): Parsed {
  const { entries, errors } = parseListFile(format, text);
  const refused = refusedByList(list, entries);
  if (refused.length === 0) return { entries, errors };
  const refusedLines = new Set(refused.map((error) => error.line));
  return { entries: entries.filter((entry) => !refusedLines.has(entry.line)), errors: [...errors, ...refused].sort((a, b) => a.line - b.line) };
}

function useParsed(format: ListFileFormat, list: ListName, text: string): Parsed | undefined {
  const [parsed, setParsed] = useState<Parsed>();
  useEffect(() => {
    setParsed(undefined);
    if (!text.trim()) return;
    // Let "Reading…" paint first: a file of 100,000 lines takes a moment to parse.
    const timer = setTimeout(() => setParsed(readFor(format, list, text)), 150);
    return () => clearTimeout(timer);
  }, [format, list, text]);
  return parsed;
}

export function ImportDialog({ list: initialList, onClose }: { list: ListName; onClose: () => void }) {
  const importEntries = useApp((state) => state.lists.importEntries);
  const notify = useApp((state) => state.ui.notify);
  const [format, setFormat] = useState<ListFileFormat>('postgrey-clients');
  const [list, setList] = useState<ListName>(initialList);
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string>();
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const [result, setResult] = useState<ImportResult>();
  const parsed = useParsed(format, list, text);
  const running = progress !== undefined && result === undefined;
  const canImport = !!parsed && parsed.errors.length === 0 && parsed.entries.length > 0 && !running && !result;

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setFormat((current) => guessFormat(file.name) ?? current);
    setResult(undefined);
    setText(await file.text());
  };

  const run = async () => {
    if (!parsed) return;
    const entries = parsed.entries.map((entry) => ({ list, kind: entry.kind, pattern: entry.pattern, comment: entry.comment }));
    setProgress({ done: 0, total: entries.length });
    const outcome = await importEntries(entries, `import:${fileName ?? 'pasted text'}`, (done) => setProgress({ done, total: entries.length }));
    if (outcome.error) return setResult(outcome);
    // Done: the list behind shows the entries, and a notice says what was added.
    notify({ tone: 'success', text: `Imported ${counted(outcome.added, 'entry', 'entries')} into the ${list} list (${formatCount(outcome.duplicates)} already there).` });
    onClose();
  };

  return (
    <Dialog
      wide
      title="Import a list file"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={running}>
            {result ? 'Close' : 'Cancel'}
          </button>
          <button type="button" className="button button-primary" disabled={!canImport} onClick={run}>
            {running ? 'Importing…' : parsed && parsed.entries.length > 0 ? `Import ${counted(parsed.entries.length, 'entry', 'entries')} into the ${list} list` : 'Import'}
          </button>
        </>
      }
    >
      <div className="import-options">
        <fieldset className="choices">
          <legend>Format</legend>
          {LIST_FILE_FORMATS.map((value) => (
            <label key={value} className="choice">
              <input type="radio" name="import-format" value={value} checked={format === value} disabled={running} onChange={() => setFormat(value)} />
              <span>
                <strong>{FORMAT_LABELS[value].title}</strong>
                <span className="muted"> — {FORMAT_LABELS[value].help}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="import-list">Into</label>
          <select id="import-list" className="input" value={list} disabled={running} onChange={(event) => setList(event.target.value as ListName)}>
            {LIST_NAMES.map((name) => (
              <option key={name} value={name}>
                the {name} list
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="import-file">File</label>
        <input id="import-file" type="file" disabled={running} onChange={(event) => void readFile(event.target.files?.[0])} />
      </div>
      <div className="field">
        <label htmlFor="import-text">…or paste the file's text</label>
        <textarea
          id="import-text"
          className="input mono"
          rows={6}
          value={text}
          disabled={running}
          placeholder={format === 'postgrey-clients' ? '# a comment for the entries below\n192.0.2.0/24\nmail.example.com\n/^mx[0-9]+\\.example\\.net$/' : '# a comment\npostmaster@example.org\nabuse@\nexample.org'}
          onChange={(event) => {
            setFileName(undefined);
            setResult(undefined);
            setText(event.target.value);
          }}
        />
      </div>
      {text.trim() && !parsed && <p className="muted" role="status">Reading…</p>}
      {parsed && (
        <>
          <p role="status">
            {counted(parsed.entries.length, 'entry', 'entries')} read
            {parsed.errors.length > 0 && <>, <strong className="error-text">{formatCount(parsed.errors.length)} with errors</strong></>}.
          </p>
          {parsed.errors.length > 0 && <ImportErrors errors={parsed.errors} />}
          {parsed.entries.length > 0 && <ImportEntries entries={parsed.entries} />}
        </>
      )}
      {progress && <ImportProgress done={progress.done} total={progress.total} />}
      {result?.error && (
        <ErrorNotice
          error={result.error}
          title={result.done > 0 ? `Stopped after ${formatCount(result.done)} of ${counted(progress?.total ?? 0, 'entry', 'entries')} (${result.done === 1 ? 'that one was' : 'those were'} added)` : 'Nothing was imported'}
        />
      )}
    </Dialog>
  );
}
