import type { ImpactReport, ReplayOutcome } from '../../../shared/insight-contract.js';
import { formatDuration } from '../../../shared/duration.js';
import { formatCount, formatSpan } from '../../format/time.js';

export type Verdict = 'better' | 'worse' | 'same' | 'neutral';

export interface ImpactRow {
  key: 'delayed' | 'passedAtOnce' | 'addedDelayP50' | 'addedDelayP95' | 'lost' | 'neverRetried' | 'pending';
  label: string;
  help: string;
  current: string;
  proposed: string;
  /** "−3", "+1m 20s", "" when equal or not comparable. */
  change: string;
  verdict: Verdict;
}

type Metric = { key: ImpactRow['key']; label: string; help: string; kind: 'count' | 'seconds'; better: 'lower' | 'higher' | 'neither' };

const METRICS: Metric[] = [
  { key: 'lost', label: 'Mails that would be lost', help: 'retried, never passed, and stopped retrying: the sender gave up first', kind: 'count', better: 'lower' },
  { key: 'delayed', label: 'Mails delayed', help: 'greylisted mails that passed after a delay', kind: 'count', better: 'neither' },
  { key: 'passedAtOnce', label: 'Mails let in at once', help: 'auto-allowed, not on the grey list, or on a triplet that had passed', kind: 'count', better: 'neither' },
  { key: 'addedDelayP50', label: 'Added delay, median', help: 'from the first attempt to the pass, half of the delayed mails waited less', kind: 'seconds', better: 'lower' },
  { key: 'addedDelayP95', label: 'Added delay, 95th percentile', help: '95 in 100 delayed mails waited less than this', kind: 'seconds', better: 'lower' },
  { key: 'neverRetried', label: 'Never-retried senders kept out', help: 'one attempt and nothing since: mostly spam, which greylisting is for', kind: 'count', better: 'higher' },
  { key: 'pending', label: 'Still pending', help: 'not passed yet, but retried recently enough (2 h) that it still may', kind: 'count', better: 'neither' },
];

function show(kind: Metric['kind'], value: number | null): string {
  if (value === null) return '—';
  return kind === 'count' ? formatCount(value) : formatSpan(value);
}

function change(kind: Metric['kind'], current: number | null, proposed: number | null): string {
  if (current === null || proposed === null || current === proposed) return '';
  const delta = proposed - current;
  const sign = delta > 0 ? '+' : '−';
  return `${sign}${kind === 'count' ? formatCount(Math.abs(delta)) : formatSpan(Math.abs(delta))}`;
}

function verdict(metric: Metric, current: number | null, proposed: number | null): Verdict {
  if (metric.better === 'neither') return 'neutral';
  if (current === null || proposed === null || current === proposed) return 'same';
  const lower = proposed < current;
  return lower === (metric.better === 'lower') ? 'better' : 'worse';
}

/** The replay's outcomes side by side, each with its change and whether it is for the better. */
export function compareImpact(report: Pick<ImpactReport, 'current' | 'proposed'>): ImpactRow[] {
  return METRICS.map((metric) => {
    const current = report.current[metric.key as keyof ReplayOutcome] as number | null;
    const proposed = report.proposed[metric.key as keyof ReplayOutcome] as number | null;
    return {
      key: metric.key,
      label: metric.label,
      help: metric.help,
      current: show(metric.kind, current),
      proposed: show(metric.kind, proposed),
      change: change(metric.kind, current, proposed),
      verdict: verdict(metric, current, proposed),
    };
  });
}

type Replayed = ReplayOutcome['settings'];

/** Each replayed setting in words, but the delay and the retry window, which every column names. */
const OTHER_SETTINGS: Array<{ key: keyof Replayed; say(settings: Replayed): string }> = [
  { key: 'clientPrefixV4', say: (s) => `IPv4 clients grouped by /${s.clientPrefixV4}` },
  { key: 'clientPrefixV6', say: (s) => `IPv6 clients grouped by /${s.clientPrefixV6}` },
  { key: 'autoAllowAfter', say: (s) => (s.autoAllowAfter === 0 ? 'no auto-allow' : `auto-allow after ${s.autoAllowAfter} ${s.autoAllowAfter === 1 ? 'triplet' : 'triplets'}`) },
  { key: 'autoAllowBy', say: (s) => (s.autoAllowBy === 'network' ? 'counted per client network' : 'counted per client address') },
  { key: 'mode', say: (s) => (s.mode === 'grey-list-only' ? 'only the grey list greylisted' : 'everyone greylisted') },
];

/**
 * "delay 5m, retry window 2d": what a column of the comparison was replayed with, and where the
 * other column differs in another setting, that one too ("…, IPv4 clients grouped by /16").
 */
export function describeTiming(settings: Replayed, other?: Replayed): string {
  const differing = other ? OTHER_SETTINGS.filter(({ key }) => settings[key] !== other[key]) : [];
  // Auto-allow counted per address or network means nothing while auto-allow is off on both sides.
  const shown = differing.filter(({ key }) => key !== 'autoAllowBy' || settings.autoAllowAfter > 0 || (other?.autoAllowAfter ?? 0) > 0);
  return [`delay ${formatDuration(settings.delay)}, retry window ${formatDuration(settings.retryWindow)}`, ...shown.map(({ say }) => say(settings))].join(', ');
}

/** One sentence that answers "should I?" before the table does. */
export function headline(report: Pick<ImpactReport, 'current' | 'proposed' | 'mails'>): string {
  const { current, proposed } = report;
  if (report.mails === 0) return 'The attempt log holds no greylisted mail to replay yet.';
  const lost = proposed.lost - current.lost;
  const lostText =
    lost < 0
      ? `${formatCount(-lost)} fewer ${-lost === 1 ? 'mail' : 'mails'} lost`
      : lost > 0
        ? `${formatCount(lost)} more ${lost === 1 ? 'mail' : 'mails'} lost`
        : 'no change in lost mail';
  const p95 = current.addedDelayP95 !== null && proposed.addedDelayP95 !== null && current.addedDelayP95 !== proposed.addedDelayP95
    ? `, 95% of delayed mail waiting ${proposed.addedDelayP95 < current.addedDelayP95 ? 'at most' : 'up to'} ${formatSpan(proposed.addedDelayP95)} instead of ${formatSpan(current.addedDelayP95)}`
    : '';
  return `On the recorded traffic, the proposal means ${lostText}${p95}.`;
}
