import { useEffect } from 'react';
import { counted } from '../../../shared/plural.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { formatClock, formatCount } from '../../format/time.js';
import { SUSPECT_LIST_LIMIT } from '../../store/insight-slice.js';
import { useApp } from '../../store/store.js';
import { SuspectDetail } from './SuspectDetail.js';
import { SuspectList } from './SuspectList.js';

/** Without new attempts, silence alone turns a deferred mail into a suspect: look again every minute. */
const QUIET_REFRESH_MS = 60_000;

export function AtRiskScreen() {
  const suspects = useApp((state) => state.insight.suspects);
  const answeredAt = useApp((state) => state.insight.suspectsAt);
  const showAll = useApp((state) => state.insight.showAll);
  const listedAll = useApp((state) => state.insight.listedAll);
  const setShowAll = useApp((state) => state.insight.setShowAll);
  const load = useApp((state) => state.insight.loadSuspects);
  const followAttempts = useApp((state) => state.insight.followAttempts);
  const refresh = useApp((state) => state.insight.refreshSuspects);
  const selected = useApp((state) => state.insight.selected);
  const select = useApp((state) => state.insight.select);

  useEffect(() => {
    void load();
    const stop = followAttempts();
    const timer = setInterval(refresh, QUIET_REFRESH_MS);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [load, followAttempts, refresh]);

  const list = suspects.data;
  const stillListed = !!selected && !!list?.some((s) => s.id === selected.id);

  return (
    <div className="screen-fill">
      <ScreenHeader
        title="At risk"
        subtitle="Mail greylisting is about to lose: senders that gave up, retried too early, or retried from elsewhere. Most credible first; let it through before its retry window closes."
      />
      <div className="toolbar">
        <label className="switch" title="Also mail whose retry window has closed, and spam-like senders of low credibility">
          <input type="checkbox" checked={showAll} onChange={(event) => setShowAll(event.target.checked)} />
          <span>Show all (closed windows, spam-like)</span>
        </label>
        <button type="button" className="button" onClick={() => void load()} disabled={suspects.loading}>
          {suspects.loading ? 'Refreshing…' : 'Refresh'}
        </button>
        <span className="toolbar-info" aria-live="polite">
          {list &&
            (list.length >= SUSPECT_LIST_LIMIT
              ? `the ${formatCount(list.length)} most credible ${listedAll ? 'mails' : 'mails at risk'} (there are more)`
              : `${counted(list.length, 'mail')}${listedAll ? '' : ' at risk'}`)}
          {answeredAt !== undefined && <span className="muted"> · updated {formatClock(answeredAt)}, again as attempts arrive</span>}
        </span>
      </div>
      {suspects.error && <ErrorNotice error={suspects.error} title="Could not load the mail at risk" onRetry={() => void load()} />}
      <div className={selected ? 'split split-open at-risk-split' : 'split'}>
        <div className="split-main">
          {list && answeredAt !== undefined && list.length > 0 ? (
            <SuspectList suspects={list} answeredAt={answeredAt} />
          ) : !list ? (
            suspects.loading && <Loading what="the mail at risk" />
          ) : listedAll ? (
            <Empty title="Nothing in the attempt log looks lost">No deferred mail of the last days was given up on, retried only early, or retried from elsewhere.</Empty>
          ) : (
            <Empty title="No mail at risk">
              Every deferred sender retried normally or still may. Mail whose window has closed and spam-like senders are under “Show all”.
            </Empty>
          )}
        </div>
        {selected && answeredAt !== undefined && (
          <SuspectDetail key={selected.id} suspect={selected} stillListed={stillListed} answeredAt={answeredAt} onClose={() => select(undefined)} />
        )}
      </div>
    </div>
  );
}
