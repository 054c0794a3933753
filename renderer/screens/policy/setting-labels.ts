import type { SettingKey } from '../../../shared/settings.js';

export const SETTING_LABELS: Record<SettingKey, string> = {
  delay: 'Delay before a retry passes',
  retryWindow: 'Retry window',
  maxAge: 'Remember passed triplets for',
  autoAllowAfter: 'Auto-allow a client after',
  autoAllowBy: 'Auto-allow counts',
  clientPrefixV4: 'IPv4 client grouping',
  clientPrefixV6: 'IPv6 client grouping',
  normaliseSender: 'Normalise senders',
  mode: 'Who is greylisted',
  deferReply: 'Defer reply',
  denyReply: 'Deny reply',
  passHeader: 'X-Greylist header',
  failMode: 'On an internal error',
  logRetention: 'Keep the attempt log for',
  listen: 'Listen address (TCP)',
  socket: 'UNIX socket',
  allowedClients: 'Allowed clients',
};

export const UNIT_HINTS: Partial<Record<SettingKey, string>> = {
  autoAllowAfter: 'triplets passed',
  clientPrefixV4: 'prefix bits (8–32)',
  clientPrefixV6: 'prefix bits (16–128)',
};

export const ENUM_CHOICES: Partial<Record<SettingKey, Array<{ value: string; label: string }>>> = {
  autoAllowBy: [
    { value: 'address', label: 'Each client address' },
    { value: 'network', label: 'Each client network (the grouping below)' },
  ],
  mode: [
    { value: 'everyone', label: 'Everyone (except the allow list)' },
    { value: 'grey-list-only', label: 'Only what the grey list matches' },
  ],
  failMode: [
    { value: 'open', label: 'Fail open: answer DUNNO, mail passes' },
    { value: 'tempfail', label: 'Temporary failure: DEFER_IF_PERMIT 4.3.0' },
  ],
};
