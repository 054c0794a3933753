import type { Screen } from '../store/ui-slice.js';

export const SCREEN_INFO: Record<Screen, { label: string; shortcut: string }> = {
  overview: { label: 'Overview', shortcut: '1' },
  live: { label: 'Live deferrals', shortcut: '2' },
  lists: { label: 'Lists', shortcut: '3' },
  greylist: { label: 'Greylist', shortcut: '4' },
  policy: { label: 'Policy', shortcut: '5' },
  settings: { label: 'Settings', shortcut: '6' },
};

export const screenHash = (screen: Screen) => `#/${screen}`;

export function screenFromHash(hash: string): Screen | undefined {
  const name = hash.replace(/^#\/?/, '');
  return Object.hasOwn(SCREEN_INFO, name) ? (name as Screen) : undefined;
}
