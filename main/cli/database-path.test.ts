import { describe, expect, it } from 'vitest';
import { defaultDatabasePath, SYSTEM_DATABASE } from './database-path.js';

const none = () => false;

describe('defaultDatabasePath', () => {
  it('is the system database when it exists, whoever asks (an administrator on a configured host)', () => {
    expect(defaultDatabasePath({ env: { HOME: '/home/ann' }, uid: 1000, exists: (path) => path === SYSTEM_DATABASE })).toBe('/var/lib/greyward/greyward.db');
  });

  it('is the system database for root, which is where a system service keeps it', () => {
    expect(defaultDatabasePath({ env: { HOME: '/root' }, uid: 0, exists: none })).toBe(SYSTEM_DATABASE);
  });

  it("is under the user's XDG data folder otherwise", () => {
    expect(defaultDatabasePath({ env: { HOME: '/home/ann', XDG_DATA_HOME: '/data/ann' }, uid: 1000, exists: none })).toBe('/data/ann/greyward/greyward.db');
    expect(defaultDatabasePath({ env: { HOME: '/home/ann' }, uid: 1000, exists: none })).toBe('/home/ann/.local/share/greyward/greyward.db');
    // The XDG specification ignores a relative XDG_DATA_HOME.
    expect(defaultDatabasePath({ env: { HOME: '/home/ann', XDG_DATA_HOME: 'data' }, uid: 1000, exists: none })).toBe('/home/ann/.local/share/greyward/greyward.db');
  });

  it('is the per-user database on a platform without user ids', () => {
    expect(defaultDatabasePath({ env: { HOME: '/home/ann' }, uid: undefined, exists: none })).toBe('/home/ann/.local/share/greyward/greyward.db');
  });
});
