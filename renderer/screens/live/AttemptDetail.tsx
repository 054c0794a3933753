import { useEffect, useState } from 'react';
import type { Attempt } from '../../../shared/contract.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import { AttemptTimeline, TripletSummary } from '../../components/TripletTimeline.js';
import { describeReason } from '../../format/reasons.js';
import { formatFull } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import { ACTION_LABELS, ATTEMPT_ACTIONS, propose, type AttemptAction, type ProposedChange } from './attempt-actions.js';
import { deferralStatus } from './deferral-status.js';
import { ProposedChangeDialog } from './ProposedChangeDialog.js';

function AttemptActions({ attempt, passed }: { attempt: Attempt; passed: boolean }) {
  const prefixV4 = useApp((state) => state.settings.values?.clientPrefixV4 ?? 24);
  const prefixV6 = useApp((state) => state.settings.values?.clientPrefixV6 ?? 64);
  const [change, setChange] = useState<ProposedChange>();
  const proposals = ATTEMPT_ACTIONS.map((action) => ({ action, proposal: propose(attempt, action, { prefixV4, prefixV6 }) }));
  // Once the mail got through, "Pass now" has nothing left to do.
  const style = (action: AttemptAction) => (action === 'deny-sender' ? 'button button-danger-outline' : action === 'pass-now' && !passed ? 'button button-primary' : 'button');
  const blocked = (action: AttemptAction) => (action === 'pass-now' && passed ? 'its mail has got through already' : undefined);
  return (
    <div className="action-list">
      {proposals.map(({ action, proposal }) => (
        <button
          key={action}
          type="button"
          className={style(action)}
          disabled={!proposal.ok || blocked(action) !== undefined}
          title={blocked(action) ?? (proposal.ok ? undefined : proposal.reason)}
          onClick={() => proposal.ok && setChange(proposal.change)}
        >
          {ACTION_LABELS[action]}
          {proposal.ok && proposal.change.type === 'list-entry' && <span className="button-detail mono">{proposal.change.pattern}</span>}
        </button>
      ))}
      {change && <ProposedChangeDialog change={change} onClose={() => setChange(undefined)} />}
    </div>
  );
}

function TripletHistory({ tripletId }: { tripletId: number }) {
  const detail = useApp((state) => state.triplets.details[tripletId]);
  const loadDetail = useApp((state) => state.triplets.loadDetail);
  const now = useNow();
  useEffect(() => {
    void loadDetail(tripletId);
  }, [tripletId, loadDetail]);
  if (!detail || (detail.loading && !detail.data)) return <Loading what="the triplet's attempts" />;
  return (
    <>
      {detail.error && <ErrorNotice error={detail.error} title="Could not load the triplet" onRetry={() => void loadDetail(tripletId)} />}
      {detail.data && !detail.data.triplet && <p className="muted">This triplet no longer exists (expired or deleted).</p>}
      {detail.data?.triplet && (
        <>
          <h3>Triplet #{tripletId}</h3>
          <TripletSummary triplet={detail.data.triplet} now={now} />
        </>
      )}
      {detail.data && (
        <>
          <div className="card-title-row">
            <h3>Attempts</h3>
            <button type="button" className="button button-small" onClick={() => void loadDetail(tripletId)} disabled={detail.loading}>
              Refresh
            </button>
          </div>
          <AttemptTimeline attempts={detail.data.attempts} now={now} />
        </>
      )}
    </>
  );
}

export function AttemptDetail({ attempt, onClose }: { attempt: Attempt; onClose: () => void }) {
  const now = useNow();
  // Re-read on every flush of the feed: a pass arriving while the panel is open shows at once.
  useApp((state) => state.live.version);
  const passed = useApp((state) => state.live.feed).passedOf(attempt);
  const status = deferralStatus(attempt, passed, now);
  return (
    <aside className="detail-panel" aria-label="Selected attempt">
      <div className="card-title-row">
        <h2>Deferred attempt</h2>
        <button type="button" className="button-icon" aria-label="Close the detail panel" onClick={onClose}>
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>At</dt>
        <dd>{formatFull(attempt.at)}</dd>
        <dt>Client</dt>
        <dd className="mono">
          {attempt.clientAddress}
          <div className="muted">{attempt.clientName || 'unknown'}{attempt.helo ? ` · HELO ${attempt.helo}` : ''}</div>
        </dd>
        <dt>Sender</dt>
        <dd className="mono">{attempt.sender || '<>'}</dd>
        <dt>Recipient</dt>
        <dd className="mono">{attempt.recipient}</dd>
        <dt>Attempt</dt>
        <dd>{attempt.attemptNumber ?? '—'}</dd>
        <dt>Now</dt>
        <dd className={status.tone === 'passed' ? 'pass-text' : undefined} aria-label="What became of it">
          {status.sentence}
        </dd>
        <dt>Why</dt>
        <dd>
          {attempt.reason ? describeReason(attempt.reason) : '—'}
          {attempt.rule && <div className="muted small mono">{attempt.rule}</div>}
        </dd>
      </dl>
      <h3>Actions</h3>
      <AttemptActions attempt={attempt} passed={passed !== undefined} />
      {attempt.tripletId !== null && <TripletHistory tripletId={attempt.tripletId} />}
    </aside>
  );
}
