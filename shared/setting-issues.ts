import type { z } from 'zod';
import { formatDuration } from './duration.js';

/** How a setting is written, as SETTINGS declares it. */
export type SettingUnit = 'duration' | 'count' | 'prefix' | 'boolean' | 'enum' | 'text' | 'networks';

const NOUN: Record<SettingUnit, string> = {
  duration: 'a number of seconds',
  count: 'a whole number',
  prefix: 'a prefix length',
  boolean: 'true or false',
  enum: 'one of its choices',
  text: 'text',
  networks: 'a list of networks',
};

const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/**
 * Why a value is refused, in the administrator's terms: "8d is too long: at most 7d", not the
 * schema's "Too big: expected number to be <=604800".
 */
export function describeSettingIssue(unit: SettingUnit, value: unknown, issue: z.core.$ZodIssue): string {
  const inUnit = (n: number) => (unit === 'duration' ? formatDuration(n) : String(n));
  const [more, less] = unit === 'count' ? ['many', 'few'] : ['long', 'short'];
  switch (issue.code) {
    case 'too_big':
      if (issue.origin === 'string') return `too long: at most ${String(issue.maximum)} characters`;
      return `${inUnit(value as number)} is too ${more}: at most ${inUnit(Number(issue.maximum))}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `too short: at least ${String(issue.minimum)} characters`;
      return `${inUnit(value as number)} is too ${less}: at least ${inUnit(Number(issue.minimum))}`;
    case 'invalid_type':
      if (issue.expected === 'int') return `${shown(value)} is not a whole number${unit === 'duration' ? ' of seconds' : ''}`;
      return `${shown(value)} is not ${NOUN[unit]}`;
    case 'invalid_value':
      return `${shown(value)} is not one of: ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}
