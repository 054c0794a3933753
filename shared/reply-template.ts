/** What the filter puts in a reply text in place of each placeholder. */
export interface ReplyValues {
  /** Seconds left until a retry passes (the whole delay for a new triplet; 0 in a deny reply). */
  seconds: number;
  /** The delay setting, in seconds. */
  delay: number;
  sender: string;
  recipient: string;
  client: string;
}

export const REPLY_PLACEHOLDERS = ['seconds', 'delay', 'sender', 'recipient', 'client'] as const satisfies ReadonlyArray<keyof ReplyValues>;

const PLACEHOLDER = /\{(\w+)\}/g;
const KNOWN: ReadonlySet<string> = new Set(REPLY_PLACEHOLDERS);

/** Placeholders a template names that the filter would not fill (they would reach the sender as typed). */
export function unknownPlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !KNOWN.has(name)))];
}

export function describePlaceholders(): string {
  return REPLY_PLACEHOLDERS.map((name) => `{${name}}`).join(' ');
}

/** The reply text as it goes to Postfix: placeholders filled, kept on one line. */
export function fillReplyTemplate(template: string, values: ReplyValues): string {
  return template
    .replace(PLACEHOLDER, (whole, name: string) => (KNOWN.has(name) ? String(values[name as keyof ReplyValues]) : whole))
    .replace(/[\r\n]/g, ' ');
}

/** A reply as the filter would send it to a new sender (defer) or a deny-listed one, for people to read before they save. */
export function exampleReply(kind: 'defer' | 'deny', template: string, delay: number): string {
  const values: ReplyValues = { seconds: kind === 'defer' ? delay : 0, delay, sender: 'alice@example.com', recipient: 'bob@example.net', client: '192.0.2.10' };
  return `${kind === 'defer' ? 'DEFER_IF_PERMIT 4.7.1' : 'REJECT 5.7.1'} ${fillReplyTemplate(template, values)}`;
}
