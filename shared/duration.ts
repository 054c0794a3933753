/** Durations are stored as whole seconds and written by people with a unit: 90s, 5m, 48h, 35d, 2w. */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: write a whole number with an optional unit s, m, h, d or w (e.g. 300s, 5m, 48h, 35d)`);
  const unit = (match[2] || 's').toLowerCase();
  return Number(match[1]) * (UNIT_SECONDS[unit] ?? 1);
}

export function formatDuration(seconds: number): string {
  if (seconds !== 0) {
    // Weeks are read but not written: "35d" says the familiar retention better than "5w".
    for (const unit of ['d', 'h', 'm'] as const) {
      const size = UNIT_SECONDS[unit]!;
      if (seconds % size === 0) return `${seconds / size}${unit}`;
    }
  }
  return `${seconds}s`;
}
