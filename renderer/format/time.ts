import { counted } from '../../shared/plural.js';

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dayAndTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
const fullDate = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function formatClock(unixSeconds: number): string {
  return clock.format(unixSeconds * 1000);
}

/** Today's times as a clock, older ones with their date. */
export function formatWhen(unixSeconds: number, now = nowSeconds()): string {
  const date = new Date(unixSeconds * 1000);
  const today = new Date(now * 1000);
  return date.toDateString() === today.toDateString() ? clock.format(date) : dayAndTime.format(date);
}

export function formatFull(unixSeconds: number): string {
  return fullDate.format(unixSeconds * 1000);
}

/** A span of time the way an administrator reads it: 45s, 4m 12s, 3h 5m, 2d 4h. */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)}h` : ''}`;
}

const UNITS: Array<[number, string]> = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** A duration in words for reading back what was typed: 90m → "1 hour 30 minutes". */
export function describeDuration(seconds: number): string {
  if (seconds === 0) return '0 seconds';
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of UNITS) {
    const count = Math.floor(rest / size);
    if (count === 0) continue;
    parts.push(counted(count, name));
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function formatAgo(unixSeconds: number, now = nowSeconds()): string {
  const span = now - unixSeconds;
  if (span < 5) return 'just now';
  return `${formatSpan(span)} ago`;
}

const integer = new Intl.NumberFormat();
export function formatCount(value: number): string {
  return integer.format(value);
}
