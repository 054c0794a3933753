import { useState } from 'react';
import type { ListName } from '../../../shared/lists.js';
import { LIST_FILE_FORMATS, type ListFileFormat } from '../../../shared/list-files.js';
import { counted } from '../../../shared/plural.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';
import { FORMAT_LABELS } from './import-formats.js';

function download(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportDialog({ list, onClose }: { list: ListName; onClose: () => void }) {
  const exportList = useApp((state) => state.lists.exportList);
  const [format, setFormat] = useState<ListFileFormat>('postgrey-clients');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<{ lines: number; skipped: number; fileName: string }>();

  const run = async () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    const outcome = await exportList(list, format);
    setBusy(false);
    if (!outcome.ok) return setError(outcome.error);
    const fileName = `${list}-${format === 'postgrey-clients' ? 'whitelist_clients' : 'whitelist_recipients'}.txt`;
    download(outcome.value.text, fileName);
    const lines = outcome.value.text.split('\n').filter((line) => line.trim() && !line.startsWith('#')).length;
    setDone({ lines, skipped: outcome.value.skipped, fileName });
  };

  return (
    <Dialog
      title={`Export the ${list} list`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button button-primary" disabled={busy} onClick={run}>
            {busy ? 'Exporting…' : 'Export and download'}
          </button>
        </>
      }
    >
      <fieldset className="choices">
        <legend>File format</legend>
        {LIST_FILE_FORMATS.map((value) => (
          <label key={value} className="choice">
            <input type="radio" name="export-format" value={value} checked={format === value} onChange={() => setFormat(value)} />
            <span>
              <strong>{FORMAT_LABELS[value].title}</strong>
              <span className="muted"> — {FORMAT_LABELS[value].help}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {error && <ErrorNotice error={error} title="Export failed" />}
      {done && (
        <div className="notice notice-success" role="status">
          Downloaded {done.fileName} with {counted(done.lines, 'entry', 'entries')}.
          {done.skipped > 0 && ` ${counted(done.skipped, 'entry was', 'entries were')} left out: this format cannot express ${done.skipped === 1 ? 'its' : 'their'} kind.`}
        </div>
      )}
    </Dialog>
  );
}
