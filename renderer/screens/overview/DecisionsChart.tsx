import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Overview } from '../../../shared/contract.js';
import { Empty } from '../../components/StatusMessage.js';
import { formatFull } from '../../format/time.js';

type PerMinute = Overview['perMinute'];

const SERIES = [
  { key: 'defer', label: 'Deferred', color: '--series-defer' },
  { key: 'pass', label: 'Passed', color: '--series-pass' },
  { key: 'allow', label: 'Allowed', color: '--series-allow' },
  { key: 'reject', label: 'Rejected', color: '--series-reject' },
] as const;

const MINUTES = 24 * 60;
const HEIGHT = 240;

/** The last 24 hours minute by minute, zeros where the filter recorded nothing. */
export function minuteSeries(perMinute: PerMinute, nowSeconds: number): uPlot.AlignedData {
  const end = Math.floor(nowSeconds / 60) * 60;
  const start = end - (MINUTES - 1) * 60;
  const x = new Float64Array(MINUTES);
  const columns = SERIES.map(() => new Float64Array(MINUTES));
  for (let i = 0; i < MINUTES; i++) x[i] = start + i * 60;
  for (const row of perMinute) {
    const index = Math.floor((row.minute - start) / 60);
    if (index < 0 || index >= MINUTES) continue;
    SERIES.forEach((series, s) => (columns[s]![index]! += row[series.key]));
  }
  return [x, ...columns];
}

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** Time ticks like the rest of the screens (24-hour clock, the day where it changes), not uPlot's US "6pm 11/28/26". */
function timeTicks(_self: uPlot, splits: number[]): string[] {
  return splits.map((seconds, index) => {
    const date = new Date(seconds * 1000);
    const previous = index > 0 ? new Date(splits[index - 1]! * 1000) : undefined;
    return !previous || previous.toDateString() !== date.toDateString() ? `${hourMinute.format(date)}\n${dayMonth.format(date)}` : hourMinute.format(date);
  });
}

function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function chartOptions(width: number): uPlot.Options {
  const axis = { stroke: cssColor('--text-muted'), grid: { stroke: cssColor('--border'), width: 1 }, ticks: { stroke: cssColor('--border') } };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(5, max * 1.1)] } },
    // The y axis grows with its longest tick label (30,000 needs more room than 50).
    axes: [{ ...axis, values: timeTicks }, { ...axis, size: (_self, values) => 18 + 7.5 * Math.max(2, ...(values ?? []).map((value) => String(value).length)) }],
    series: [{ label: 'Time', value: (_self, seconds) => (seconds == null ? '—' : formatFull(seconds)) }, ...SERIES.map((series) => ({ label: series.label, stroke: cssColor(series.color), width: 1.5, points: { show: false } }))],
  };
}

export function DecisionsChart({ perMinute }: { perMinute: PerMinute }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = useMemo(() => minuteSeries(perMinute, Date.now() / 1000), [perMinute]);
  const latest = useRef(data);
  latest.current = data;
  const empty = perMinute.every((row) => row.defer + row.pass + row.allow + row.reject === 0);

  useEffect(() => {
    const element = container.current;
    if (!element || empty) return;
    const create = () => {
      plot.current?.destroy();
      plot.current = new uPlot(chartOptions(element.clientWidth || 600), latest.current, element);
    };
    create();
    // Colours come from the theme's CSS variables: rebuild when the OS switches light/dark.
    const theme = window.matchMedia('(prefers-color-scheme: dark)');
    theme.addEventListener('change', create);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    return () => {
      theme.removeEventListener('change', create);
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [empty]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  if (empty) return <Empty title="No decisions in the last 24 hours">Once Postfix asks the filter, every decision is counted here minute by minute.</Empty>;
  return <div ref={container} className="chart" role="img" aria-label="Decisions per minute over the last 24 hours: deferred, passed, allowed and rejected" />;
}
