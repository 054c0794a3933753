import { useEffect } from 'react';
import type { Triplet } from '../../../shared/contract.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import { AttemptTimeline, TripletSummary } from '../../components/TripletTimeline.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';

interface Props {
  triplet: Triplet;
  onClose: () => void;
  onPassNow: (triplets: Triplet[]) => void;
  onDelete: (triplets: Triplet[]) => void;
}

export function TripletDetailPanel({ triplet, onClose, onPassNow, onDelete }: Props) {
  const detail = useApp((state) => state.triplets.details[triplet.id]);
  const loadDetail = useApp((state) => state.triplets.loadDetail);
  const now = useNow();
  useEffect(() => {
    void loadDetail(triplet.id);
  }, [triplet.id, loadDetail]);
  const current = detail?.data?.triplet ?? triplet;
  return (
    <aside className="detail-panel" aria-label="Selected triplet">
      <div className="card-title-row">
        <h2>Triplet #{triplet.id}</h2>
        <button type="button" className="button-icon" aria-label="Close the detail panel" onClick={onClose}>
          ×
        </button>
      </div>
      <TripletSummary triplet={current} now={now} />
      <div className="action-list action-row">
        <button type="button" className="button button-primary" disabled={current.state === 'passed'} onClick={() => onPassNow([current])}>
          Pass now
        </button>
        <button type="button" className="button button-danger-outline" onClick={() => onDelete([current])}>
          Delete
        </button>
      </div>
      <div className="card-title-row">
        <h3>Attempts</h3>
        <button type="button" className="button button-small" onClick={() => void loadDetail(triplet.id)} disabled={detail?.loading}>
          Refresh
        </button>
      </div>
      {detail?.error && <ErrorNotice error={detail.error} title="Could not load the attempts" onRetry={() => void loadDetail(triplet.id)} />}
      {detail?.data ? <AttemptTimeline attempts={detail.data.attempts} now={now} /> : <Loading what="attempts" />}
      {detail?.data && !detail.data.triplet && <p className="muted">This triplet no longer exists (expired or deleted).</p>}
    </aside>
  );
}
