/** The engine's decision reasons (main/filter/engine.ts) in an administrator's words. */
const REASONS: Record<string, string> = {
  new: 'first attempt of this triplet',
  early: 'retried before the delay was over',
  'window-expired': 'retried after the retry window, so greylisting started over',
  'max-age-expired': 'the passed triplet was forgotten (max age), so greylisting started over',
  passed: 'retried after the delay',
  known: 'known triplet (passed before)',
  'deny-list': 'matched the deny list',
  'allow-list': 'matched the allow list',
  'auto-allowed': 'auto-allowed client',
  'not-grey-listed': 'not on the grey list (mode grey-list-only)',
  'not-rcpt-stage': 'not asked at the RCPT stage',
};

export function describeReason(reason: string): string {
  return REASONS[reason] ?? reason;
}
