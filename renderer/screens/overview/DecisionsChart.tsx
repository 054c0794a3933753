import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CHART_RANGES, type ChartRange, type Overview } from '../../../shared/contract.js';
import { Empty } from '../../components/StatusMessage.js';
import { formatClock, formatFull } from '../../format/time.js';
import { describeSettingChange, type SettingChange } from './setting-change.js';

type Chart = Overview['chart'];

export const RANGE_LABELS: Record<ChartRange, { button: string; title: string }> = {
  '1h': { button: 'Last hour', title: 'last hour' },
  '24h': { button: '24 hours', title: 'last 24 hours' },
  '7d': { button: '7 days', title: 'last 7 days' },
};

export const bucketName = (seconds: number) => ({ 60: 'minute', 300: '5 minutes', 3600: 'hour' })[seconds] ?? `${seconds} s`;

const SERIES = [
  { key: 'defer', label: 'Deferred', color: '--series-defer' },
  { key: 'pass', label: 'Passed', color: '--series-pass' },
  { key: 'allow', label: 'Allowed', color: '--series-allow' },
  { key: 'reject', label: 'Rejected', color: '--series-reject' },
] as const;

const HEIGHT = 240;

/** Every bucket of the range, zeros where the filter recorded nothing. */
export function bucketSeries(chart: Chart): uPlot.AlignedData {
  const count = CHART_RANGES[chart.range].seconds / chart.bucketSeconds;
  const x = new Float64Array(count);
  const columns = SERIES.map(() => new Float64Array(count));
  for (let i = 0; i < count; i++) x[i] = chart.start + i * chart.bucketSeconds;
  for (const row of chart.buckets) {
    const index = Math.floor((row.at - chart.start) / chart.bucketSeconds);
    if (index < 0 || index >= count) continue;
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

/** A dashed line at each setting change, so that a change in the traffic can be told from a change of the rules. */
function settingChangeMarks(changes: () => readonly SettingChange[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = cssColor('--text-muted');
          ctx.setLineDash([4, 4]);
          ctx.lineWidth = devicePixelRatio;
          for (const change of changes()) {
            const x = Math.round(u.valToPos(change.at, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

function chartOptions(width: number, changes: () => readonly SettingChange[]): uPlot.Options {
  const axis = { stroke: cssColor('--text-muted'), grid: { stroke: cssColor('--border'), width: 1 }, ticks: { stroke: cssColor('--border') } };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(5, max * 1.1)] } },
    // The y axis grows with its longest tick label (30,000 needs more room than 50).
    axes: [{ ...axis, values: timeTicks }, { ...axis, size: (_self, values) => 18 + 7.5 * Math.max(2, ...(values ?? []).map((value) => String(value).length)) }],
    plugins: [settingChangeMarks(changes)],
    series: [{ label: 'Time', value: (_self, seconds) => (seconds == null ? '—' : formatFull(seconds)) }, ...SERIES.map((series) => ({ label: series.label, stroke: cssColor(series.color), width: 1.5, points: { show: false } }))],
  };
}

export function DecisionsChart({ chart }: { chart: Chart }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = useMemo(() => bucketSeries(chart), [chart]);
  const latest = useRef(data);
  latest.current = data;
  const changes = useRef(chart.settingChanges);
  changes.current = chart.settingChanges;
  const empty = chart.buckets.every((row) => row.defer + row.pass + row.allow + row.reject === 0);

  useEffect(() => {
    const element = container.current;
    if (!element || empty) return;
    const create = () => {
      plot.current?.destroy();
      plot.current = new uPlot(chartOptions(element.clientWidth || 600, () => changes.current), latest.current, element);
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

  if (empty) return <Empty title={`No decisions in the ${RANGE_LABELS[chart.range].title}`}>Once Postfix asks the filter, every decision is counted here.</Empty>;
  return (
    <>
      <div
        ref={container}
        className="chart"
        role="img"
        aria-label={`Decisions per ${bucketName(chart.bucketSeconds)} over the ${RANGE_LABELS[chart.range].title}: deferred, passed, allowed and rejected`}
      />
      {chart.settingChanges.length > 0 && (
        <ul className="chart-setting-changes small muted" aria-label="Setting changes in this range, dashed on the chart">
          {chart.settingChanges.map((change, index) => (
            <li key={`${change.at}-${change.key}-${index}`} title={formatFull(change.at)}>
              <span className="chart-change-mark" aria-hidden="true" /> {formatClock(change.at)} {describeSettingChange(change)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
