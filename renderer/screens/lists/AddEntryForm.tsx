import { useState, type FormEvent } from 'react';
import { normaliseEntryPattern } from '../../../shared/list-entry-checks.js';
import { LIST_KIND_HELP, LIST_KINDS, unicodePattern, type ListKind, type ListName } from '../../../shared/lists.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { KIND_LABELS, PLACEHOLDERS } from '../../format/list-kinds.js';
import { nowSeconds } from '../../format/time.js';
import type { ApiError } from '../../store/remote.js';
import { useApp } from '../../store/store.js';

const EXPIRY_CHOICES = [
  { label: 'Never', days: 0 },
  { label: '1 day', days: 1 },
  { label: '7 days', days: 7 },
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
] as const;

function check(list: ListName, kind: ListKind, text: string): { pattern?: string; error?: string } {
  if (text.trim() === '') return {};
  try {
    return { pattern: normaliseEntryPattern(list, kind, text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function AddEntryForm({ list }: { list: ListName }) {
  const add = useApp((state) => state.lists.add);
  const notify = useApp((state) => state.ui.notify);
  const [kind, setKind] = useState<ListKind>('client-address');
  const [text, setText] = useState('');
  const [comment, setComment] = useState('');
  const [expiryDays, setExpiryDays] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const checked = check(list, kind, text);
  const unicode = checked.pattern ? unicodePattern(kind, checked.pattern) : undefined;

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
        <div className="field field-grow">
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
      <div id="add-pattern-message" className={checked.error ? 'field-error' : 'field-help'} aria-live="polite">
        {checked.error ??
          (checked.pattern && checked.pattern !== text.trim() ? (
            <>
              Will be stored as <code>{checked.pattern}</code>
              {unicode && <> ({unicode})</>}. {LIST_KIND_HELP[kind]}
            </>
          ) : (
            LIST_KIND_HELP[kind]
          ))}
      </div>
      {error && <ErrorNotice error={error} title="Not added" />}
    </form>
  );
}
