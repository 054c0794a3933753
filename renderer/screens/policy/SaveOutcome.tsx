import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useApp, useAppStore } from '../../store/store.js';

/** Saved settings the running filter has not taken yet, and the restart that applies them. */
function RestartNotice() {
  const restartNeeded = useApp((state) => state.settings.restartNeeded);
  const restarted = useApp((state) => state.settings.restarted);
  const restart = useApp((state) => state.filter.restart);
  const restarting = useApp((state) => state.filter.restarting);
  const notify = useApp((state) => state.ui.notify);
  const store = useAppStore();
  const [confirming, setConfirming] = useState(false);
  if (restartNeeded.length === 0) return null;
  const names = restartNeeded.join(' and ');
  return (
    <div className="notice notice-warning" role="status" aria-label="Restart needed">
      <div>
        <strong>Saved, not yet in use:</strong> the filter reads {names} only when it starts, so it still listens where it did. Restart it to apply{' '}
        {restartNeeded.length === 1 ? 'this change' : 'these changes'} (a filter started with a listen or socket option keeps that option).
      </div>
      <button type="button" className="button button-small" disabled={restarting} onClick={() => setConfirming(true)}>
        {restarting ? 'Restarting…' : 'Restart the filter'}
      </button>
      {confirming && (
        <ConfirmDialog
          title="Restart the filter now?"
          confirmLabel="Restart"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const failure = await restart();
            if (failure) return failure;
            const status = store.getState().filter.status;
            if (status?.state === 'attached') {
              notify({ tone: 'error', text: status.message });
              return undefined;
            }
            restarted();
            notify({ tone: 'success', text: `The filter was restarted with the saved ${names}.` });
            return undefined;
          }}
        >
          <p>
            While the filter restarts (usually under a second), Postfix cannot ask it and applies <code>smtpd_policy_service_default_action</code>. Point Postfix at the new{' '}
            {names} too, if it changed.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** What the last save warned about: values that were saved but risk mail or let spam through. */
function SavedWarnings() {
  const warnings = useApp((state) => state.settings.warnings);
  const dismiss = useApp((state) => state.settings.dismissWarnings);
  if (warnings.length === 0) return null;
  return (
    <div className="notice notice-warning" role="status" aria-label="Saved with warnings">
      <strong>Saved, but risky:</strong>
      <ul className="notice-details">
        {warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
      <button type="button" className="button button-small" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function SaveOutcome() {
  return (
    <>
      <SavedWarnings />
      <RestartNotice />
    </>
  );
}
