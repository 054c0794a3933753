import { describe, expect, it } from 'vitest';
import { describeSettingChange } from './setting-change.js';

describe('a setting change on the chart', () => {
  it('says what it changed from and to, in the setting’s own units, with the default named', () => {
    expect(describeSettingChange({ key: 'delay', from: 5, to: 600 })).toBe('delay 5s → 10m');
    expect(describeSettingChange({ key: 'delay', from: null, to: 60 })).toBe('delay 5m (default) → 1m');
    expect(describeSettingChange({ key: 'mode', from: 'grey-list-only', to: null })).toBe('mode grey-list-only → everyone (default)');
  });
});
