import type { Suspect } from './insight-contract.js';

/**
 * When a suspect is worth interrupting an administrator for: credible mail whose retry window
 * closes soon. The desktop app raises an OS notification for it (main/insight/at-risk-watch.ts);
 * the screens show the same as a banner. One rule for both, so they never disagree.
 */
export const AT_RISK_ALERT = {
  /** At least this credible (0..1): legitimate mail, not a spam run. */
  minCredibility: 0.6,
  /** Its retry window closes within this many seconds (6 h). */
  withinSeconds: 6 * 3600,
} as const;

export type AlertSuspect = Pick<Suspect, 'id' | 'sender' | 'recipient' | 'credibility' | 'secondsLeft' | 'windowEndsAt'>;

/** Credible, window still open, and closing within AT_RISK_ALERT.withinSeconds. */
export function isAboutToBeLost(suspect: Pick<Suspect, 'credibility' | 'secondsLeft'>): boolean {
  return suspect.credibility >= AT_RISK_ALERT.minCredibility && suspect.secondsLeft > 0 && suspect.secondsLeft < AT_RISK_ALERT.withinSeconds;
}

/**
 * Identifies one round of one suspect: the same mail whose window ran out and started over is a
 * new round (its window ends later), and is worth a new alert.
 */
export function alertKey(suspect: Pick<Suspect, 'id' | 'windowEndsAt'>): string {
  return `${suspect.id}@${suspect.windowEndsAt}`;
}

/**
 * The suspects about to be lost that were not alerted about yet, and the keys to remember from
 * now on: the ones still about to be lost (so that the set never grows past the live list).
 */
export function newlyAboutToBeLost<S extends AlertSuspect>(suspects: readonly S[], alerted: ReadonlySet<string>): { fresh: S[]; remember: Set<string> } {
  const fresh: S[] = [];
  const remember = new Set<string>();
  for (const suspect of suspects) {
    if (!isAboutToBeLost(suspect)) continue;
    const key = alertKey(suspect);
    remember.add(key);
    if (!alerted.has(key)) fresh.push(suspect);
  }
  return { fresh, remember };
}

function hoursAndMinutes(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

const mail = (s: AlertSuspect) => `${s.sender || '<>'} → ${s.recipient}`;

/** The words of an alert, for a notification (title and body) or a banner. */
export function alertText(suspects: readonly AlertSuspect[]): { title: string; body: string } {
  const soonest = [...suspects].sort((a, b) => a.secondsLeft - b.secondsLeft);
  const first = soonest[0];
  if (!first) return { title: '', body: '' };
  if (soonest.length === 1) {
    return {
      title: 'Greyward: mail about to be lost',
      body: `${mail(first)}: its retry window closes in ${hoursAndMinutes(first.secondsLeft)}. Open "At risk" to let it through.`,
    };
  }
  const named = soonest.slice(0, 2).map(mail).join('; ');
  const more = soonest.length > 2 ? ` and ${soonest.length - 2} more` : '';
  return {
    title: `Greyward: ${soonest.length} mails about to be lost`,
    body: `${named}${more}. The first window closes in ${hoursAndMinutes(first.secondsLeft)}. Open "At risk" to let them through.`,
  };
}
