import { useState } from 'react';
import { LIST_KIND_HELP, normalisePattern } from '../../../shared/lists.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useApp } from '../../store/store.js';
import { ACTION_LABELS, type ProposedChange } from './attempt-actions.js';

type ListChange = Extract<ProposedChange, { type: 'list-entry' }>;

function validate(change: ListChange, text: string): { pattern?: string; error?: string } {
  try {
    return { pattern: normalisePattern(change.kind, text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const LIST_EFFECT = {
  allow: 'Matching mail is accepted without greylisting.',
  deny: 'Matching mail is rejected (REJECT 5.7.1) before greylisting.',
  grey: 'Matching mail is greylisted.',
} as const;

function ListEntryDialog({ change, onClose }: { change: ListChange; onClose: () => void }) {
  const add = useApp((state) => state.lists.add);
  const notify = useApp((state) => state.ui.notify);
  const [text, setText] = useState(change.pattern);
  const [comment, setComment] = useState(change.comment);
  const checked = validate(change, text);
  return (
    <ConfirmDialog
      title={`${ACTION_LABELS[change.action]}?`}
      confirmLabel={`Add to the ${change.list} list`}
      danger={change.list === 'deny'}
      blocked={!checked.pattern}
      onClose={onClose}
      onConfirm={async () => {
        const entry = { list: change.list, kind: change.kind, pattern: checked.pattern!, comment };
        const outcome = await add([entry], 'ui:live');
        if (!outcome.ok) return outcome.error;
        const what = `${change.kind} ${entry.pattern}`;
        notify({
          tone: 'success',
          text: outcome.value.added ? `Added ${what} to the ${change.list} list.` : `${what} was already on the ${change.list} list.`,
        });
        return undefined;
      }}
    >
      <p>
        Adds one entry to the <strong>{change.list} list</strong>. {LIST_EFFECT[change.list]} The filter applies it within a second.
      </p>
      <div className="field">
        <label htmlFor="proposed-pattern">
          Entry <span className="muted">({change.kind})</span>
        </label>
        <input id="proposed-pattern" className="input mono" value={text} aria-invalid={!!checked.error} aria-describedby="proposed-pattern-help" onChange={(event) => setText(event.target.value)} />
        {checked.error ? (
          <div className="field-error" id="proposed-pattern-help">{checked.error}</div>
        ) : (
          <div className="field-help" id="proposed-pattern-help">
            {LIST_KIND_HELP[change.kind]}
            {checked.pattern !== text.trim() && <> — stored as <code>{checked.pattern}</code></>}
          </div>
        )}
      </div>
      <div className="field">
        <label htmlFor="proposed-comment">Comment</label>
        <input id="proposed-comment" className="input" value={comment} maxLength={500} onChange={(event) => setComment(event.target.value)} />
      </div>
    </ConfirmDialog>
  );
}

function PassNowDialog({ change, onClose }: { change: Extract<ProposedChange, { type: 'pass-now' }>; onClose: () => void }) {
  const passNow = useApp((state) => state.triplets.passNow);
  const notify = useApp((state) => state.ui.notify);
  const { attempt } = change;
  return (
    <ConfirmDialog
      title="Pass this triplet now?"
      confirmLabel="Pass now"
      onClose={onClose}
      onConfirm={async () => {
        const outcome = await passNow([change.tripletId]);
        if (!outcome.ok) return outcome.error;
        notify({ tone: 'success', text: outcome.value.updated ? `Triplet #${change.tripletId} passed: the next retry is accepted.` : `Triplet #${change.tripletId} no longer exists (expired or deleted).` });
        return undefined;
      }}
    >
      <p>
        Marks triplet <strong>#{change.tripletId}</strong> as passed, so the sender's next retry is accepted without waiting for the delay:
      </p>
      <dl className="facts">
        <dt>Client</dt>
        <dd className="mono">{attempt.clientAddress}</dd>
        <dt>Sender</dt>
        <dd className="mono">{attempt.sender || '<>'}</dd>
        <dt>Recipient</dt>
        <dd className="mono">{attempt.recipient}</dd>
      </dl>
      <p className="muted">Only this triplet changes; other senders from the same client are still greylisted.</p>
    </ConfirmDialog>
  );
}

export function ProposedChangeDialog({ change, onClose }: { change: ProposedChange; onClose: () => void }) {
  return change.type === 'pass-now' ? <PassNowDialog change={change} onClose={onClose} /> : <ListEntryDialog change={change} onClose={onClose} />;
}
