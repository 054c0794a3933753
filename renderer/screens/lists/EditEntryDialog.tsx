import { useState, type FormEvent } from 'react';
import type { ListEntryView, RequestPayload } from '../../../shared/contract.js';
import { counted } from '../../../shared/plural.js';
import { unshowableTime } from '../../../shared/printable.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { KIND_LABELS, PLACEHOLDERS } from '../../format/list-kinds.js';
import { formatFull, nowSeconds } from '../../format/time.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';
import { checkPattern, EXPIRY_CHOICES, PatternMessage } from './entry-fields.js';

const KEEP = -1;

function currentExpiry(expiresAt: number | null): string {
  if (expiresAt === null) return 'never';
  const unshowable = unshowableTime(expiresAt);
  if (unshowable) return unshowable;
  return `${expiresAt <= nowSeconds() ? 'expired ' : ''}${formatFull(expiresAt)}`;
}

/** The add form's fields for one entry, filled in; its list and kind stay, and so do its id, hits and source. */
export function EditEntryDialog({ entry, onClose }: { entry: ListEntryView; onClose: () => void }) {
  const edit = useApp((state) => state.lists.edit);
  const notify = useApp((state) => state.ui.notify);
  const [text, setText] = useState(entry.pattern);
  const [comment, setComment] = useState(entry.comment);
  const [expiryDays, setExpiryDays] = useState<number>(entry.expiresAt === null ? 0 : KEEP);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const checked = checkPattern(entry.list, entry.kind, text);

  const change: Omit<RequestPayload<'lists.edit'>, 'id'> = {
    ...(checked.pattern !== undefined && checked.pattern !== entry.pattern ? { pattern: checked.pattern } : {}),
    ...(comment.trim() !== entry.comment ? { comment: comment.trim() } : {}),
    ...(expiryDays !== KEEP && !(expiryDays === 0 && entry.expiresAt === null) ? { expiresAt: expiryDays ? nowSeconds() + expiryDays * 86_400 : null } : {}),
  };
  const changed = Object.keys(change).length > 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!checked.pattern || !changed) return;
    setBusy(true);
    setError(undefined);
    const outcome = await edit(entry.id, change);
    setBusy(false);
    if (!outcome.ok) return setError(outcome.error);
    const shown = checked.unicode ? `${outcome.value.pattern} (${checked.unicode})` : outcome.value.pattern;
    notify({ tone: 'success', text: `Saved ${shown} on the ${entry.list} list.` });
    onClose();
  };

  return (
    <Dialog
      title={`Edit an entry of the ${entry.list} list`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="edit-entry-form" className="button button-primary" disabled={!checked.pattern || !changed || busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <form id="edit-entry-form" className="edit-entry-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="edit-kind">Kind</label>
          <input id="edit-kind" className="input" value={KIND_LABELS[entry.kind]} readOnly />
        </div>
        <div className="field">
          <label htmlFor="edit-pattern">Entry</label>
          <input
            id="edit-pattern"
            className="input mono"
            value={text}
            placeholder={PLACEHOLDERS[entry.kind]}
            aria-invalid={!!checked.error}
            aria-describedby="edit-pattern-message"
            spellCheck={false}
            onChange={(event) => setText(event.target.value)}
          />
          <PatternMessage id="edit-pattern-message" kind={entry.kind} text={text} checked={checked} />
        </div>
        <div className="field">
          <label htmlFor="edit-comment">Comment</label>
          <input id="edit-comment" className="input" value={comment} maxLength={500} placeholder="why this entry exists" onChange={(event) => setComment(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="edit-expiry">Expires</label>
          <select id="edit-expiry" className="input" value={expiryDays} onChange={(event) => setExpiryDays(Number(event.target.value))}>
            {entry.expiresAt !== null && <option value={KEEP}>Keep: {currentExpiry(entry.expiresAt)}</option>}
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.days} value={choice.days}>
                {choice.days ? `${choice.label} from now` : choice.label}
              </option>
            ))}
          </select>
        </div>
        <p className="muted small">
          Source {entry.source || 'unknown'}, {counted(entry.hits, 'hit')}: both stay. The filter applies the change within a second.
        </p>
      </form>
      {error && <ErrorNotice error={error} title="Not saved" />}
    </Dialog>
  );
}
