import { useState, type FormEvent } from 'react';
import { LIST_KINDS, type ListKind, type ListName } from '../../../shared/lists.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { KIND_LABELS, PLACEHOLDERS } from '../../format/list-kinds.js';
import { nowSeconds } from '../../format/time.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';
import { checkPattern, EXPIRY_CHOICES, PatternMessage } from './entry-fields.js';

export function AddEntryForm({ list }: { list: ListName }) {
  const add = useApp((state) => state.lists.add);
  const notify = useApp((state) => state.ui.notify);
  const [kind, setKind] = useState<ListKind>('client-address');
  const [text, setText] = useState('');
  const [comment, setComment] = useState('');
  const [expiryDays, setExpiryDays] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const checked = checkPattern(list, kind, text);
  const unicode = checked.unicode;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!checked.pattern) return;
    setBusy(true);
    setError(undefined);
    const expiresAt = expiryDays ? nowSeconds() + expiryDays * 86_400 : null;
    const outcome = await add([{ list, kind, pattern: checked.pattern, comment: comment.trim(), expiresAt }], 'ui');
    setBusy(false);
    if (!outcome.ok) return setError(outcome.error);
    const shown = unicode ? `${checked.pattern} (${unicode})` : checked.pattern;
    notify({
      tone: outcome.value.added ? 'success' : 'info',
      text: outcome.value.added ? `Added ${shown} to the ${list} list.` : `${shown} is already on the ${list} list.`,
    });
    setText('');
    setComment('');
  };

  return (
    <form className="card add-form" onSubmit={submit} aria-label={`Add an entry to the ${list} list`}>
      <div className="add-form-row">
        <div className="field">
          <label htmlFor="add-kind">Kind</label>
          <select id="add-kind" className="input" value={kind} onChange={(event) => setKind(event.target.value as ListKind)}>
            {LIST_KINDS.map((value) => (
              <option key={value} value={value}>
                {KIND_LABELS[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-grow field-entry">
          <label htmlFor="add-pattern">Entry</label>
          <input
            id="add-pattern"
            className="input mono"
            value={text}
            placeholder={PLACEHOLDERS[kind]}
            aria-invalid={!!checked.error}
            aria-describedby="add-pattern-message"
            onChange={(event) => setText(event.target.value)}
          />
        </div>
        <div className="field field-grow">
          <label htmlFor="add-comment">Comment</label>
          <input id="add-comment" className="input" value={comment} maxLength={500} placeholder="why this entry exists" onChange={(event) => setComment(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="add-expiry">Expires</label>
          <select id="add-expiry" className="input" value={expiryDays} onChange={(event) => setExpiryDays(Number(event.target.value))}>
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.days} value={choice.days}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button-primary" disabled={!checked.pattern || busy}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
      <PatternMessage id="add-pattern-message" kind={kind} text={text} checked={checked} />
      {error && <ErrorNotice error={error} title="Not added" />}
    </form>
  );
}
