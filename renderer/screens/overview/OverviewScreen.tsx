import { useEffect } from 'react';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import { useApp } from '../../store/store.js';
import { DecisionsChart } from './DecisionsChart.js';
import { FilterCard } from './FilterCard.js';
import { TodayCounts } from './TodayCounts.js';
import { TopDeferredSenders } from './TopDeferredSenders.js';

const REFRESH_MS = 15_000;

export function OverviewScreen() {
  const overview = useApp((state) => state.overview.data);
  const loading = useApp((state) => state.overview.loading);
  const error = useApp((state) => state.overview.error);
  const load = useApp((state) => state.overview.load);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <>
      <ScreenHeader title="Overview" subtitle="The filter, and what it decided in the last 24 hours." />
      {error && <ErrorNotice error={error} title="Could not load the overview" onRetry={() => void load()} />}
      <div className="overview-grid">
        <FilterCard />
        {overview ? <TodayCounts today={overview.today} /> : <section className="card">{loading ? <Loading what="today's counts" /> : null}</section>}
      </div>
      <section className="card">
        <h2>Decisions per minute, last 24 hours</h2>
        {overview ? <DecisionsChart perMinute={overview.perMinute} /> : loading && <Loading what="the chart" />}
      </section>
      <section className="card">
        <h2>Most deferred senders today</h2>
        {overview ? <TopDeferredSenders senders={overview.topDeferred} /> : loading && <Loading what="senders" />}
      </section>
    </>
  );
}
