import type { ListKind, ListName } from '../../shared/lists.js';

export const KIND_LABELS: Record<ListKind, string> = {
  'client-address': 'Client address or network',
  'client-name': 'Client hostname',
  'client-name-pattern': 'Client hostname pattern',
  'sender-address': 'Sender address',
  'sender-domain': 'Sender domain',
  'sender-domain-scoped': 'Sender domain from given clients',
  'sender-pattern': 'Sender pattern',
  'recipient-address': 'Recipient address',
  'recipient-user': 'Recipient user (any domain)',
  'recipient-domain': 'Recipient domain',
  'recipient-pattern': 'Recipient pattern',
};

export const LIST_LABELS: Record<ListName, string> = { allow: 'Allow', grey: 'Grey', deny: 'Deny' };

export const LIST_MEANING: Record<ListName, string> = {
  allow: 'Mail matching an allow entry is accepted at once, without greylisting.',
  grey: 'When the policy mode is "grey-list-only", only mail matching a grey entry is greylisted.',
  deny: 'Mail matching a deny entry is rejected (REJECT 5.7.1), before any other check.',
};

export const PLACEHOLDERS: Record<ListKind, string> = {
  'client-address': '192.0.2.0/24',
  'client-name': 'mail.example.com',
  'client-name-pattern': '^mx[0-9]+\\.example\\.net$',
  'sender-address': 'billing@example.com',
  'sender-domain': 'example.com',
  'sender-domain-scoped': 'cloudmail.example via outbound.cloudmail.example',
  'sender-pattern': '^bounce-.*@example\\.com$',
  'recipient-address': 'postmaster@example.org',
  'recipient-user': 'abuse@',
  'recipient-domain': 'example.org',
  'recipient-pattern': '^team-.*@example\\.org$',
};
