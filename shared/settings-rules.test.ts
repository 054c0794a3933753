import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { DEFAULT_SETTINGS, parseSettingText, resolveSettings, type Settings } from './settings.js';
import { planSettingsChange } from './settings-change.js';
import { checkSettings } from './settings-rules.js';

const with_ = (changes: Partial<Settings>): Settings => ({ ...DEFAULT_SETTINGS, ...changes });
const messages = (issues: Array<{ message: string }>) => issues.map((issue) => issue.message);

describe('settings checked together', () => {
  it('refuse a retry window that leaves no room for a normal retry after the delay, and say how much room is needed', () => {
    const { errors } = checkSettings(with_({ delay: 600, retryWindow: 300 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.keys).toEqual(['delay', 'retryWindow']);
    expect(errors[0]!.message).toMatch(/retryWindow \(5m\) must be at least delay \+ 1h \(70m\)/);
    expect(errors[0]!.message).toMatch(/30 minutes apart/);
    // One second short of the room is refused; the room itself is enough.
    expect(checkSettings(with_({ delay: 600, retryWindow: 600 + 3600 - 1 })).errors).toHaveLength(1);
    expect(checkSettings(with_({ delay: 600, retryWindow: 600 + 3600 })).errors).toEqual([]);
  });

  it('refuse a max age shorter than the retry window', () => {
    const { errors } = checkSettings(with_({ retryWindow: 5 * 86_400, maxAge: 2 * 86_400 }));
    expect(messages(errors)).toEqual([expect.stringMatching(/^maxAge \(2d\) must not be shorter than retryWindow \(5d\)/)]);
  });

  it('refuse settings that leave the filter nothing to listen on, or no client allowed to ask', () => {
    expect(messages(checkSettings(with_({ listen: '', socket: '' })).errors)).toEqual([expect.stringMatching(/nothing to listen on/)]);
    expect(messages(checkSettings(with_({ allowedClients: [] })).errors)).toEqual([expect.stringMatching(/allowedClients is empty/)]);
    expect(checkSettings(with_({ allowedClients: [], listen: '', socket: '/run/greyward.sock' })).errors).toEqual([]);
    // A filter started with --listen may serve other networks than the listen setting suggests.
    expect(checkSettings(with_({ allowedClients: ['192.0.2.0/24'] })).errors).toEqual([]);
  });

  it('accept values outside what the field recommends, with a warning that says why they are risky', () => {
    expect(checkSettings(DEFAULT_SETTINGS)).toEqual({ errors: [], warnings: [] });
    const short = checkSettings(with_({ delay: 10 }));
    expect(short.errors).toEqual([]);
    expect(messages(short.warnings)).toEqual([expect.stringMatching(/^delay 10s is under 30s: .*retry within seconds/)]);
    expect(messages(checkSettings(with_({ delay: 2 * 3600, retryWindow: 2 * 86_400 })).warnings)).toEqual([expect.stringMatching(/^delay 2h is over 1h: .*give up/)]);
    expect(messages(checkSettings(with_({ retryWindow: 6 * 3600 })).warnings)).toEqual([expect.stringMatching(/^retryWindow 6h is under 1d: /)]);
  });

  it('fall back to the defaults of an impossible stored combination, and say so', () => {
    const { settings, problems } = resolveSettings({ delay: 600, retryWindow: 300, passHeader: false });
    expect(settings).toMatchObject({ delay: 300, retryWindow: 172_800, passHeader: false });
    expect(problems).toEqual([expect.stringMatching(/retryWindow \(5m\) must be at least delay \+ 1h.*\(using the defaults delay 5m, retryWindow 2d\)$/)]);
    // A default brought back by one rule can break another: the result still holds together.
    const chained = resolveSettings({ delay: 7 * 86_400, retryWindow: 60, maxAge: 86_400 });
    expect(checkSettings(chained.settings).errors).toEqual([]);
    expect(chained.settings).toMatchObject({ delay: 300, retryWindow: 172_800, maxAge: 35 * 86_400 });
  });

  it('plan a change against what is stored: refuse it with the reason, or say what it warns about and what needs a restart', () => {
    expect(planSettingsChange({ retryWindow: 300 + 3600 }, { delay: 600 }).errors).toEqual([expect.stringMatching(/^retryWindow \(65m\) must be at least delay \+ 1h \(70m\)/)]);
    expect(planSettingsChange({}, { delay: 600, retryWindow: 300 }).errors).toHaveLength(1);
    expect(planSettingsChange({}, { delay: 10 })).toMatchObject({ errors: [], warnings: [expect.stringMatching(/^delay 10s is under 30s/)], restartNeeded: [] });
    expect(planSettingsChange({}, { listen: '127.0.0.1:10025' })).toMatchObject({ errors: [], restartNeeded: ['listen'] });
    expect(planSettingsChange({}, { listen: '127.0.0.1:10023' }).restartNeeded).toEqual([]);
    // What was already wrong in the database does not block an unrelated change.
    expect(planSettingsChange({ delay: 600, retryWindow: 300 }, { passHeader: false }).errors).toEqual([]);
    // A reset is checked like a change.
    expect(planSettingsChange({ delay: 2 * 86_400, retryWindow: 3 * 86_400 }, {}, ['retryWindow']).errors).toEqual([expect.stringMatching(/^retryWindow \(2d\)/)]);
  });
});

describe('settings checked one at a time', () => {
  it('refuse a listen address, port or socket path the filter could not use', () => {
    expect(() => parseSettingText('listen', 'foo')).toThrow(/listen: "foo" is not a listen address; write HOST:PORT/);
    expect(() => parseSettingText('listen', '127.0.0.1:99999')).toThrow(/port 99999 is out of range: 1 to 65535/);
    expect(() => parseSettingText('listen', '127.0.0.1:0')).toThrow(/port 0/);
    expect(() => parseSettingText('listen', '[::1:10023')).toThrow(/not a listen address/);
    expect(() => parseSettingText('listen', '300.1.2.3:10023')).toThrow(/not a listen address/);
    expect(parseSettingText('listen', '[::1]:10023')).toBe('[::1]:10023');
    expect(parseSettingText('listen', 'localhost:10023')).toBe('localhost:10023');
    expect(parseSettingText('listen', '')).toBe('');
    expect(() => parseSettingText('socket', 'greyward.sock')).toThrow(/socket: .*absolute path/);
    expect(() => parseSettingText('socket', `/${'x'.repeat(120)}`)).toThrow(/longer than 107 bytes/);
    expect(parseSettingText('socket', '/var/spool/postfix/greyward/policy.sock')).toBe('/var/spool/postfix/greyward/policy.sock');
  });

  it('refuse a reply template with a placeholder the filter does not fill, naming the known ones', () => {
    expect(() => parseSettingText('deferReply', 'Come back in {bogus}')).toThrow(/deferReply: unknown placeholder \{bogus\}; known: \{seconds\} \{delay\} \{sender\} \{recipient\} \{client\}/);
    expect(() => parseSettingText('denyReply', 'No {Sender}')).toThrow(/unknown placeholder \{Sender\}/);
    expect(parseSettingText('deferReply', 'Greylisted for {delay}s, {seconds}s left, {sender} {recipient} {client}')).toMatch(/^Greylisted/);
  });
});

describe('durations', () => {
  it('need a unit everywhere: a bare number is refused with the rule, not read as seconds', () => {
    expect(() => parseDuration('7')).toThrow(/"7" has no unit: write 7s, 7m, 7h, 7d or 7w/);
    expect(() => parseSettingText('delay', '300')).toThrow(/delay: "300" has no unit/);
    expect(() => parseDuration('0')).toThrow(/has no unit/);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('7d')).toBe(7 * 86_400);
  });
});
