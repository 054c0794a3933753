import type { Screen } from '../store/ui-slice.js';

export const SCREEN_INFO: Record<Screen, { label: string; shortcut: string }> = {
  overview: { label: 'Overview', shortcut: '1' },
  'at-risk': { label: 'At risk', shortcut: '2' },
  live: { label: 'Live deferrals', shortcut: '3' },
  trace: { label: 'Trace', shortcut: '4' },
  lists: { label: 'Lists', shortcut: '5' },
  greylist: { label: 'Greylist', shortcut: '6' },
  retry: { label: 'Retry behaviour', shortcut: '7' },
  policy: { label: 'Policy', shortcut: '8' },
  impact: { label: 'Impact preview', shortcut: '9' },
  settings: { label: 'Settings', shortcut: '0' },
};

export const screenHash = (screen: Screen) => `#/${screen}`;

export function screenFromHash(hash: string): Screen | undefined {
  const name = hash.replace(/^#\/?/, '');
  return Object.hasOwn(SCREEN_INFO, name) ? (name as Screen) : undefined;
}
