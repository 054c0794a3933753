import type { Period } from '../store/insight-slice.js';

/** How much of the attempt log a histogram or a replay reads. */
export const PERIODS: Array<{ value: Period; label: string }> = [
  { value: 'all', label: 'everything recorded' },
  { value: 1, label: 'the last 24 hours' },
  { value: 7, label: 'the last 7 days' },
  { value: 30, label: 'the last 30 days' },
];

export function parsePeriod(value: string): Period {
  const found = PERIODS.find((p) => String(p.value) === value);
  return found ? found.value : 'all';
}
