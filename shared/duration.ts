/**
 * Durations are stored as whole seconds and always written with a unit: 90s, 5m, 48h, 35d, 2w.
 * A bare number is refused rather than guessed: `--expires 7` meant days to the one who typed it.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** The rule, as help texts say it. */
export const DURATION_RULE = 'durations need a unit: s, m, h, d or w (e.g. 90s, 5m, 48h, 35d); a bare number is refused';

export function parseDuration(text: string): number {
  const bare = /^\s*(\d+)\s*$/.exec(text);
  if (bare) throw new Error(`"${text.trim()}" has no unit: write ${['s', 'm', 'h', 'd', 'w'].map((unit) => `${bare[1]}${unit}`).join(', ').replace(/, (\S+)$/, ' or $1')} (durations need a unit)`);
  const match = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: write a whole number and a unit s, m, h, d or w (e.g. 90s, 5m, 48h, 35d)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!.toLowerCase()]!;
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
