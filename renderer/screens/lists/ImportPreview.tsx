import type { ListFileError, ParsedListLine } from '../../../shared/list-files.js';
import { unicodePattern } from '../../../shared/lists.js';
import { counted } from '../../../shared/plural.js';
import { KIND_LABELS } from '../../format/list-kinds.js';
import { formatCount } from '../../format/time.js';

const SHOWN_ERRORS = 300;
const SHOWN_ENTRIES = 200;

export function ImportErrors({ errors }: { errors: readonly ListFileError[] }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>
        {counted(errors.length, 'line has an error', 'lines have errors')}: nothing is imported until the file is fixed.
      </strong>
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col" className="numeric">Line</th>
            <th scope="col">Text</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {errors.slice(0, SHOWN_ERRORS).map((error) => (
            <tr key={error.line}>
              <td className="numeric">{error.line}</td>
              <td className="mono ellipsis-cell">{error.text}</td>
              <td>{error.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors.length > SHOWN_ERRORS && <p>… and {counted(errors.length - SHOWN_ERRORS, 'more line', 'more lines')} with errors.</p>}
    </div>
  );
}

export function ImportEntries({ entries }: { entries: readonly ParsedListLine[] }) {
  return (
    <div className="preview-table">
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col" className="numeric">Line</th>
            <th scope="col">Kind</th>
            <th scope="col">Entry</th>
            <th scope="col">Comment</th>
          </tr>
        </thead>
        <tbody>
          {entries.slice(0, SHOWN_ENTRIES).map((entry) => (
            <tr key={entry.line}>
              <td className="numeric">{entry.line}</td>
              <td className="small">{KIND_LABELS[entry.kind]}</td>
              <td className="mono ellipsis-cell">
                {entry.pattern}
                {unicodePattern(entry.kind, entry.pattern) && <span className="muted"> ({unicodePattern(entry.kind, entry.pattern)})</span>}
              </td>
              <td className="muted ellipsis-cell">{entry.comment}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length > SHOWN_ENTRIES && <p className="muted">… and {counted(entries.length - SHOWN_ENTRIES, 'more entry', 'more entries')}.</p>}
    </div>
  );
}

export function ImportProgress({ done, total }: { done: number; total: number }) {
  return (
    <div className="progress-row">
      <progress max={total} value={done} aria-label="Import progress" />
      <span className="small">
        {formatCount(done)} of {formatCount(total)}
      </span>
    </div>
  );
}
