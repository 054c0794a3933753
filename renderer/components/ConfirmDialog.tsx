import { useState, type ReactNode } from 'react';
import type { ApiError } from '../store/remote.js';
import { Dialog } from './Dialog.js';
import { ErrorNotice } from './ErrorNotice.js';

interface Props {
  title: string;
  /** What will change, in words, naming the entry or triplet. */
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Disables the confirm button, e.g. while an editable entry is invalid. */
  blocked?: boolean;
  /** Resolves with the error to show, or undefined once applied (the dialog then closes). */
  onConfirm: () => Promise<ApiError | undefined>;
  onClose: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, danger, blocked, onConfirm, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    const failure = await onConfirm();
    setBusy(false);
    if (failure) setError(failure);
    else onClose();
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className={danger ? 'button button-danger' : 'button button-primary'} disabled={busy || blocked} onClick={confirm}>
            {busy ? 'Applying…' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      {error && <ErrorNotice error={error} title="Not applied" />}
    </Dialog>
  );
}
