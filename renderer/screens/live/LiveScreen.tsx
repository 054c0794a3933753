import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { SearchBox } from '../../components/SearchBox.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { formatCount } from '../../format/time.js';
import { useApp } from '../../store/store.js';
import { AttemptDetail } from './AttemptDetail.js';
import { LiveList } from './LiveList.js';

function LiveToolbar() {
  const paused = useApp((state) => state.live.paused);
  const setPaused = useApp((state) => state.live.setPaused);
  const query = useApp((state) => state.live.query);
  const setQuery = useApp((state) => state.live.setQuery);
  const held = useApp((state) => state.live.held);
  const perSecond = useApp((state) => state.live.perSecond);
  const visible = useApp((state) => state.live.visible);
  const kept = useApp((state) => state.live.kept);
  const waiting = useApp((state) => state.live.waiting);
  return (
    <div className="toolbar">
      <SearchBox value={query} onChange={setQuery} label="Filter deferred attempts" placeholder="Filter by client, name, sender or recipient" />
      <button type="button" className={paused ? 'button button-primary' : 'button'} onClick={() => setPaused(!paused)} aria-pressed={paused}>
        {paused ? `Resume${held ? ` (${formatCount(held)} new)` : ''}` : 'Pause'}
      </button>
      <span className="toolbar-info" aria-live="off">
        {paused ? <strong>Paused</strong> : <span className="live-dot" aria-hidden="true" />} {formatCount(perSecond)} deferrals/s ·{' '}
        <span className="live-counts">
          {formatCount(waiting)} held back, {formatCount(kept - waiting)} passed since{query ? ` · ${formatCount(visible)} of ${formatCount(kept)} shown` : ''}
        </span>
      </span>
    </div>
  );
}

export function LiveScreen() {
  const loading = useApp((state) => state.live.loading);
  const error = useApp((state) => state.live.error);
  const load = useApp((state) => state.live.load);
  const visible = useApp((state) => state.live.visible);
  const kept = useApp((state) => state.live.kept);
  const selected = useApp((state) => state.live.selected);
  const select = useApp((state) => state.live.select);
  const capacity = useApp((state) => state.live.feed.capacity);

  return (
    <div className="screen-fill">
      <ScreenHeader
        title="Live deferrals"
        subtitle={`The last ${formatCount(capacity)} deferrals, newest first; a row says when its mail got through. Select a row for its history and to let it through.`}
      />
      <LiveToolbar />
      {error && <ErrorNotice error={error} title="Could not load recent deferrals" onRetry={() => void load()} />}
      <div className={selected ? 'split split-open' : 'split'}>
        <div className="split-main">
          {visible > 0 ? (
            <LiveList />
          ) : loading ? (
            <Loading what="recent deferrals" />
          ) : kept > 0 ? (
            <Empty title="No deferral matches the filter" />
          ) : (
            <Empty title="No deferrals yet">Deferred attempts appear here within a second of the filter answering Postfix.</Empty>
          )}
        </div>
        {selected && <AttemptDetail key={selected.id} attempt={selected} onClose={() => select(undefined)} />}
      </div>
    </div>
  );
}
