import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { FilterStateBadge, filterStateMeaning } from '../../components/FilterStateBadge.js';
import { Loading } from '../../components/StatusMessage.js';
import { formatFull, formatSpan } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function FilterCard() {
  const status = useApp((state) => state.filter.status);
  const error = useApp((state) => state.filter.error);
  const loading = useApp((state) => state.filter.loading);
  const restarting = useApp((state) => state.filter.restarting);
  const restart = useApp((state) => state.filter.restart);
  const load = useApp((state) => state.filter.load);
  const notify = useApp((state) => state.ui.notify);
  const [confirming, setConfirming] = useState(false);
  const now = useNow();

  return (
    <section className="card filter-card" aria-labelledby="filter-card-title">
      <div className="card-title-row">
        <h2 id="filter-card-title">Filter</h2>
        <FilterStateBadge status={status} />
      </div>
      {error && <ErrorNotice error={error} title="Could not read the filter's state" onRetry={() => void load()} />}
      {!status && loading && <Loading what="the filter's state" />}
      {status && (
        <>
          <p className="muted pre-line">{capitalise(status.message) || filterStateMeaning(status)}</p>
          <dl className="facts">
            <dt>Listens on</dt>
            <dd className="mono">
              {status.endpoints.tcp && <div>inet:{status.endpoints.tcp}</div>}
              {status.endpoints.unix && <div>unix:{status.endpoints.unix}</div>}
              {!status.endpoints.tcp && !status.endpoints.unix && <span className="muted">nothing</span>}
            </dd>
            <dt>Up for</dt>
            <dd title={status.startedAt ? `since ${formatFull(status.startedAt)}` : undefined}>
              {status.startedAt && (status.state === 'running' || status.state === 'attached') ? formatSpan(now - status.startedAt) : '—'}
            </dd>
            <dt>Version</dt>
            <dd>{status.version || '—'}</dd>
            <dt>Process</dt>
            <dd>{status.pid ?? '—'}</dd>
            <dt>Restarts</dt>
            <dd>{status.restarts}</dd>
          </dl>
          <button type="button" className="button" disabled={restarting} onClick={() => setConfirming(true)}>
            {restarting ? 'Restarting…' : status.state === 'stopped' ? 'Start the filter' : status.state === 'crashed' ? 'Restart now' : 'Restart the filter'}
          </button>
        </>
      )}
      {confirming && status && (
        <ConfirmDialog
          title="Restart the filter?"
          confirmLabel="Restart"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const failure = await restart();
            if (!failure) notify({ tone: 'success', text: 'The filter was restarted.' });
            return failure;
          }}
        >
          <p>
            While the filter restarts (usually under a second), Postfix cannot ask it and applies
            <code> smtpd_policy_service_default_action</code>: with Postfix's default that defers mail with <code>451 4.3.5</code>; with
            <code> DUNNO</code> it lets mail through ungreylisted.
          </p>
          {status.state === 'attached' && <p>This filter was started outside Greyward (for example by systemd); Greyward may not be able to restart it.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}
