import { useEffect, useState, type FormEvent } from 'react';
import type { RetryHistogram } from '../../../shared/contract.js';
import { formatDuration } from '../../../shared/duration.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { formatCount } from '../../format/time.js';
import type { Remote } from '../../store/remote.js';
import { PERIODS, parsePeriod } from '../../insight/periods.js';
import { useApp, useAppStore } from '../../store/store.js';
import { barsOf } from './histogram-geometry.js';
import { RetryHistogramChart, RetryHistogramTable } from './RetryHistogramChart.js';

function percent(part: number, whole: number): string {
  return whole ? `${Math.round((part / whole) * 100)}%` : '0%';
}

function HistogramCard({ title, remote, subject, onRetry }: { title: string; remote: Remote<RetryHistogram>; subject: string; onRetry: () => void }) {
  const data = remote.data;
  return (
    <section className="card" aria-label={title} aria-busy={remote.loading}>
      <div className="card-title-row">
        <h2>{title}</h2>
        {remote.loading && data && <span className="muted small">Updating…</span>}
      </div>
      {remote.error && <ErrorNotice error={remote.error} title="Could not count the retries" onRetry={onRetry} />}
      {!data ? (
        remote.loading && <Loading what="the retry intervals" />
      ) : data.total === 0 ? (
        <Empty title={`No retries recorded${data.domain ? ` from ${data.domain}` : ''}`}>
          A retry is a second or later attempt of the same sender, recipient and client network before it passed.
        </Empty>
      ) : (
        <>
          <p className="histogram-summary">
            <strong>{formatCount(data.total)}</strong> retry {data.total === 1 ? 'interval' : 'intervals'} {subject}.{' '}
            <strong className={data.beforeDelay ? 'tone-warn' : undefined}>
              {formatCount(data.beforeDelay)} ({percent(data.beforeDelay, data.total)})
            </strong>{' '}
            came before the delay in force at the time had run out, and were deferred again.
          </p>
          <RetryHistogramChart histogram={data} label={`${title}: retries per interval since the previous attempt, with the current delay of ${formatDuration(data.delay)} marked`} />
          <div className="histogram-legend small muted">
            <span>
              <span className="legend-swatch legend-early" aria-hidden="true" /> shorter than the delay
            </span>
            {barsOf(data).some((bar) => bar.count > 0 && bar.early === 'some') && (
              <span>
                <span className="legend-swatch legend-some" aria-hidden="true" /> around the delay
              </span>
            )}
            <span>
              <span className="legend-swatch legend-late" aria-hidden="true" /> longer than the delay
            </span>
          </div>
          <details className="histogram-details">
            <summary>The figures</summary>
            <RetryHistogramTable histogram={data} caption={title} />
          </details>
        </>
      )}
    </section>
  );
}

export function RetryScreen() {
  const overall = useApp((state) => state.insight.histogram);
  const forDomain = useApp((state) => state.insight.domainHistogram);
  const domain = useApp((state) => state.insight.histogramDomain);
  const setDomain = useApp((state) => state.insight.setHistogramDomain);
  const period = useApp((state) => state.insight.histogramPeriod);
  const setPeriod = useApp((state) => state.insight.setHistogramPeriod);
  const load = useApp((state) => state.insight.loadHistogram);
  const suspects = useApp((state) => state.insight.suspects.data);
  const loadSuspects = useApp((state) => state.insight.loadSuspects);
  const [typed, setTyped] = useState(domain);

  const store = useAppStore();
  useEffect(() => {
    void load();
    // The domains at risk only suggest what to look at: loaded once if no screen has yet.
    if (!store.getState().insight.suspects.data) void loadSuspects();
  }, [load, loadSuspects, store]);

  // The sender domains of the mail at risk, most at risk first: the ones worth a look.
  const domains = [...new Set((suspects ?? []).map((s) => s.senderDomain).filter(Boolean))].slice(0, 8);
  const periodText = PERIODS.find((p) => p.value === period)?.label ?? '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDomain(typed.trim().toLowerCase());
  };

  return (
    <>
      <ScreenHeader
        title="Retry behaviour"
        subtitle="How long senders wait before they try again, against the delay. Retries that come before the delay are deferred again; a sender that only retries that fast and then gives up is lost."
      />
      <form className="toolbar" onSubmit={submit} aria-label="Which retries">
        <label className="inline-field">
          <span>Sender domain</span>
          <input className="input mono" list="retry-domains" value={typed} onChange={(event) => setTyped(event.target.value)} placeholder="e.g. example.com" spellCheck={false} />
        </label>
        <datalist id="retry-domains">
          {domains.map((d) => (
            <option key={d} value={d} />
          ))}
        </datalist>
        <button type="submit" className="button button-primary">
          Show
        </button>
        {domain && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setTyped('');
              setDomain('');
            }}
          >
            Clear
          </button>
        )}
        <label className="inline-field">
          <span>Over</span>
          <select className="input" value={String(period)} onChange={(event) => setPeriod(parsePeriod(event.target.value))}>
            {PERIODS.map((p) => (
              <option key={String(p.value)} value={String(p.value)}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      </form>
      {domains.length > 0 && (
        <div className="chip-row">
          <span className="muted small">Domains with mail at risk:</span>
          {domains.map((d) => (
            <button
              key={d}
              type="button"
              className={d === domain ? 'chip chip-active' : 'chip'}
              aria-pressed={d === domain}
              onClick={() => {
                setTyped(d);
                setDomain(d);
              }}
            >
              {d}
            </button>
          ))}
        </div>
      )}
      {domain && <HistogramCard title={`Retries from ${domain}`} remote={forDomain} subject={`from ${domain}, over ${periodText}`} onRetry={() => void load()} />}
      <HistogramCard title="All retries" remote={overall} subject={`over ${periodText}`} onRetry={() => void load()} />
    </>
  );
}
