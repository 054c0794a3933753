import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { DEFAULT_SETTINGS, parseSettingText, resolveSettings, validateSetting } from './settings.js';

describe('settings', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ delay: 300, retryWindow: 172_800, maxAge: 35 * 86_400, autoAllowAfter: 5, clientPrefixV4: 24, clientPrefixV6: 64, failMode: 'open' });
  });

  it('reads durations with units and refuses nonsense with the reason', () => {
    expect(parseSettingText('delay', '5m')).toBe(300);
    expect(parseSettingText('retryWindow', '48h')).toBe(172_800);
    expect(() => parseSettingText('delay', 'soon')).toThrow(/delay: "soon" is not a duration/);
    expect(() => parseSettingText('delay', '8d')).toThrow(/delay: /);
    expect(() => parseSettingText('clientPrefixV4', '33')).toThrow(/clientPrefixV4/);
    expect(() => parseSettingText('mode', 'sometimes')).toThrow(/mode/);
    expect(() => parseSettingText('allowedClients', '127.0.0.1 300.0.0.0/8')).toThrow(/300\.0\.0\.0/);
    expect(parseSettingText('allowedClients', '127.0.0.1, 10.1.2.3/8')).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(parseSettingText('passHeader', 'no')).toBe(false);
  });

  it('falls back to the default for a stored value that no longer validates, and says so', () => {
    const { settings, problems } = resolveSettings({ delay: -5, retryWindow: 7200 });
    expect(settings.delay).toBe(300);
    expect(settings.retryWindow).toBe(7200);
    expect(problems[0]).toMatch(/delay/);
  });

  it('formats durations back with their largest whole unit', () => {
    expect([300, 172_800, 90, 0, 604_800, 35 * 86_400].map(formatDuration)).toEqual(['5m', '2d', '90s', '0s', '7d', '35d']);
    expect(parseDuration('2w')).toBe(14 * 86_400);
    expect(parseDuration(' 35d ')).toBe(35 * 86_400);
  });
});

describe('a refused setting says why in its own unit', () => {
  it.each([
    ['delay', '8d', 'delay: 8d is too long: at most 7d'],
    ['retryWindow', '30s', 'retryWindow: 30s is too short: at least 1m'],
    ['retryWindow', '31d', 'retryWindow: 31d is too long: at most 30d'],
    ['maxAge', '12h', 'maxAge: 12h is too short: at least 1d'],
    ['logRetention', '11000d', 'logRetention: 11000d is too long: at most 3650d'],
    ['autoAllowAfter', '1001', 'autoAllowAfter: 1001 is too many: at most 1000'],
    ['clientPrefixV4', '33', 'clientPrefixV4: 33 is too long: at most 32'],
    ['clientPrefixV6', '8', 'clientPrefixV6: 8 is too short: at least 16'],
    ['deferReply', '', 'deferReply: must not be empty'],
    ['denyReply', 'x'.repeat(251), 'denyReply: too long: at most 250 characters'],
    ['mode', 'sometimes', 'mode: "sometimes" is not one of: everyone, grey-list-only'],
  ] as const)('%s %s', (key, text, message) => {
    expect(() => parseSettingText(key, text)).toThrow(new Error(message));
  });

  it('says what a stored value of the wrong type should be', () => {
    expect(() => validateSetting('delay', 1.5)).toThrow(new Error('delay: 1.5 is not a whole number of seconds'));
    expect(() => validateSetting('delay', '5m')).toThrow(new Error('delay: "5m" is not a number of seconds'));
    expect(() => validateSetting('passHeader', 'yes')).toThrow(new Error('passHeader: "yes" is not true or false'));
    expect(() => validateSetting('autoAllowAfter', -1)).toThrow(new Error('autoAllowAfter: -1 is too few: at least 0'));
  });
});
