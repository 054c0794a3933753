import { useEffect } from 'react';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Loading } from '../../components/StatusMessage.js';
import { useApp } from '../../store/store.js';
import { CHART_RANGES, type ChartRange } from '../../../shared/contract.js';
import { bucketName, DecisionsChart, RANGE_LABELS } from './DecisionsChart.js';
import { FilterCard } from './FilterCard.js';
import { SharedDatabaseCard } from './SharedDatabaseCard.js';
import { SharedFilters } from './SharedFilters.js';
import { TodayCounts } from './TodayCounts.js';
import { TopDeferredSenders } from './TopDeferredSenders.js';

/** A week in hourly buckets costs the most to count and changes the least: it is refreshed less often. */
const REFRESH_MS: Record<ChartRange, number> = { '1h': 15_000, '24h': 15_000, '7d': 60_000 };

function RangePicker() {
  const chosen = useApp((state) => state.overview.range ?? state.overview.data?.chart.range);
  const setRange = useApp((state) => state.overview.setRange);
  return (
    <div className="segmented" role="group" aria-label="Chart range">
      {(Object.keys(CHART_RANGES) as ChartRange[]).map((range) => (
        <button key={range} type="button" className="segmented-button" aria-pressed={range === chosen} onClick={() => setRange(range)}>
          {RANGE_LABELS[range].button}
        </button>
      ))}
    </div>
  );
}

export function OverviewScreen() {
  const overview = useApp((state) => state.overview.data);
  const loading = useApp((state) => state.overview.loading);
  const error = useApp((state) => state.overview.error);
  const load = useApp((state) => state.overview.load);
  const range = useApp((state) => state.overview.range ?? state.overview.data?.chart.range ?? '24h');

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    const timer = setInterval(() => void load(), REFRESH_MS[range]);
    return () => clearInterval(timer);
  }, [load, range]);

  return (
    <>
      <ScreenHeader title="Overview" subtitle="The filter, and what it decided." />
      {error && <ErrorNotice error={error} title="Could not load the overview" onRetry={() => void load()} />}
      <div className="overview-grid">
        {overview?.filters ? <SharedDatabaseCard filters={overview.filters} /> : <FilterCard />}
        {overview ? <TodayCounts today={overview.today} /> : <section className="card">{loading ? <Loading what="today's counts" /> : null}</section>}
      </div>
      {overview?.filters && (
        <section className="card">
          <h2>Filters on this shared database</h2>
          <SharedFilters filters={overview.filters} />
        </section>
      )}
      <section className="card">
        <div className="card-title-row">
          <h2>{overview ? `Decisions per ${bucketName(overview.chart.bucketSeconds)}, ${RANGE_LABELS[overview.chart.range].title}` : 'Decisions'}</h2>
          <RangePicker />
        </div>
        {overview ? <DecisionsChart chart={overview.chart} /> : loading && <Loading what="the chart" />}
      </section>
      <section className="card">
        <h2>Most deferred senders today</h2>
        {overview ? <TopDeferredSenders senders={overview.topDeferred} /> : loading && <Loading what="senders" />}
      </section>
    </>
  );
}
