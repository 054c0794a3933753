import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { checkSocketPathText, parseListenAddress } from './listen-address.js';
import { describeSettingIssue } from './setting-issues.js';
import { formatNetwork, parseNetwork } from './net.js';
import { describePlaceholders, unknownPlaceholders } from './reply-template.js';
import { checkSettings } from './settings-rules.js';

const DAY = 86_400;

const duration = (min: number, max: number) => z.number().int().min(min).max(max);
const replyText = z
  .string()
  .min(1)
  .max(250)
  .refine((text) => !/[\r\n]/.test(text), 'must be one line')
  .superRefine((text, ctx) => {
    for (const name of unknownPlaceholders(text)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}; known: ${describePlaceholders()}` });
  });
/** A check that throws with its reason, as a schema refinement; empty text passes (it means "none"). */
const checkedText = (check: (text: string) => unknown) =>
  z
    .string()
    .max(300)
    .superRefine((text, ctx) => {
      if (text === '') return;
      try {
        check(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    });
const networks = z.array(z.string()).superRefine((list, ctx) => {
  for (const item of list) {
    try {
      parseNetwork(item);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }
});

/** The one description of every setting: its type, bounds, default, and how people write it. */
export const SETTINGS = {
  delay: { schema: duration(0, 7 * DAY), default: 300, unit: 'duration', help: 'how long a new triplet is deferred before a retry passes' },
  retryWindow: { schema: duration(60, 30 * DAY), default: 2 * DAY, unit: 'duration', help: 'first attempt to last accepted retry; later, the triplet starts over' },
  maxAge: { schema: duration(DAY, 3650 * DAY), default: 35 * DAY, unit: 'duration', help: 'how long a passed triplet (and an auto-allowed client) is remembered without traffic' },
  autoAllowAfter: { schema: z.number().int().min(0).max(1000), default: 5, unit: 'count', help: 'auto-allow a client after this many of its triplets passed their delay (first passes only, one counted per hour; 0: never)' },
  autoAllowBy: { schema: z.enum(['address', 'network']), default: 'address', unit: 'enum', help: 'auto-allow counts each exact client address, or each client network (clientPrefixV4/V6); changing it starts the counts over' },
  clientPrefixV4: { schema: z.number().int().min(8).max(32), default: 24, unit: 'prefix', help: 'IPv4 client grouping prefix length (32: exact address)' },
  clientPrefixV6: { schema: z.number().int().min(16).max(128), default: 64, unit: 'prefix', help: 'IPv6 client grouping prefix length (128: exact address)' },
  normaliseSender: { schema: z.boolean(), default: true, unit: 'boolean', help: 'key senders without case, +extension, BATV prvs= tag, SRS wrapping and VERP digit runs' },
  mode: { schema: z.enum(['everyone', 'grey-list-only']), default: 'everyone', unit: 'enum', help: 'greylist every client, or only what the grey list matches' },
  deferReply: { schema: replyText, default: 'Greylisted, try again in {seconds} seconds', unit: 'text', help: 'text after DEFER_IF_PERMIT 4.7.1; placeholders {seconds} {delay} {sender} {recipient} {client}' },
  denyReply: { schema: replyText, default: 'Rejected by local policy', unit: 'text', help: 'text after REJECT 5.7.1; same placeholders' },
  passHeader: { schema: z.boolean(), default: true, unit: 'boolean', help: 'prepend an X-Greylist header to mail that passed after a delay' },
  failMode: { schema: z.enum(['open', 'tempfail']), default: 'open', unit: 'enum', help: 'on an internal error answer DUNNO (open) or DEFER_IF_PERMIT 4.3.0 (tempfail)' },
  logRetention: { schema: duration(DAY, 3650 * DAY), default: 35 * DAY, unit: 'duration', help: 'how long every attempt stays in the attempt log' },
  listen: { schema: checkedText((text) => parseListenAddress(text)), default: '127.0.0.1:10023', unit: 'text', help: 'TCP address the filter listens on, HOST:PORT (empty: no TCP)' },
  socket: { schema: checkedText(checkSocketPathText), default: '', unit: 'text', help: 'UNIX socket path the filter listens on (empty: none)' },
  allowedClients: { schema: networks, default: ['127.0.0.0/8', '::1'] as string[], unit: 'networks', help: 'networks allowed to ask the filter over TCP' },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { [K in SettingKey]: z.infer<(typeof SETTINGS)[K]['schema']> };
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export const DEFAULT_SETTINGS: Settings = Object.fromEntries(SETTING_KEYS.map((key) => [key, SETTINGS[key].default])) as unknown as Settings;

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

export function validateSetting<K extends SettingKey>(key: K, value: unknown): Settings[K] {
  const result = SETTINGS[key].schema.safeParse(value);
  if (!result.success) throw new Error(`${key}: ${result.error.issues.map((issue) => describeSettingIssue(SETTINGS[key].unit, value, issue)).join('; ')}`);
  return result.data as Settings[K];
}

/** Reads a value as an administrator types it on the command line or in a form field. */
export function parseSettingText<K extends SettingKey>(key: K, text: string): Settings[K] {
  const def = SETTINGS[key];
  let value: unknown;
  try {
    switch (def.unit) {
      case 'duration':
        value = parseDuration(text);
        break;
      case 'count':
      case 'prefix':
        if (!/^\s*\d+\s*$/.test(text)) throw new Error(`"${text}" is not a whole number`);
        value = Number(text);
        break;
      case 'boolean':
        if (!/^(true|false|yes|no|on|off|1|0)$/i.test(text.trim())) throw new Error(`"${text}" is not yes or no`);
        value = /^(true|yes|on|1)$/i.test(text.trim());
        break;
      case 'networks':
        value = text.split(/[\s,]+/).filter(Boolean).map((item) => formatNetwork(parseNetwork(item)));
        break;
      default:
        value = text;
    }
  } catch (error) {
    throw new Error(`${key}: ${(error as Error).message}`);
  }
  return validateSetting(key, value);
}

export function formatSetting<K extends SettingKey>(key: K, value: Settings[K]): string {
  switch (SETTINGS[key].unit) {
    case 'duration':
      return formatDuration(value as number);
    case 'networks':
      return (value as string[]).join(' ');
    default:
      return String(value);
  }
}

/** Stored settings merged over the defaults, each checked on its own; a value that does not validate falls back to its default. */
export function resolveEachSetting(stored: Partial<Record<string, unknown>>): { settings: Settings; problems: string[] } {
  const settings = { ...DEFAULT_SETTINGS } as Record<SettingKey, unknown>;
  const problems: string[] = [];
  for (const key of SETTING_KEYS) {
    if (!(key in stored)) continue;
    try {
      settings[key] = validateSetting(key, stored[key]);
    } catch (error) {
      problems.push(`${(error as Error).message} (using the default ${formatSetting(key, DEFAULT_SETTINGS[key])})`);
    }
  }
  return { settings: settings as Settings, problems };
}

/**
 * The settings the filter works with. Stored values that do not validate, and combinations that
 * cannot work together (written by other means than Greyward's), fall back to their defaults,
 * so that a bad row costs one setting, never all mail; `problems` says which and why.
 */
export function resolveSettings(stored: Partial<Record<string, unknown>>): { settings: Settings; problems: string[] } {
  const { settings, problems } = resolveEachSetting(stored);
  // The defaults hold together, and each round brings at least one setting back to its default: this ends.
  for (let round = 0; round <= SETTING_KEYS.length; round++) {
    const [broken] = checkSettings(settings).errors;
    if (!broken) break;
    for (const key of broken.keys) (settings as Record<SettingKey, unknown>)[key] = DEFAULT_SETTINGS[key];
    problems.push(`${broken.message} (using the defaults ${broken.keys.map((key) => `${key} ${formatSetting(key, DEFAULT_SETTINGS[key]) || '(empty)'}`).join(', ')})`);
  }
  return { settings, problems };
}
