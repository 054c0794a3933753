import type { Suspect } from '../../shared/insight-contract.js';
import type { SqliteDatabase } from '../store/database.js';
import { domainOf, registrableDomain } from './domains.js';
import { SuspectModel, type PolicySource, type SuspectQuery } from './suspect-model.js';

export { isWorthShowing, SPAM_LIKE_SHOWN_FROM } from './classify.js';
export { LOST_KEPT_SECONDS } from './waiting-mail.js';
export type { SuspectQuery } from './suspect-model.js';

export interface SuspectSources {
  db: SqliteDatabase;
  store: PolicySource;
}

/**
 * Suspects from the log, excluding what the lists already decide (a fix already made, or a deny
 * entry), built from the log at once. A process that asks again keeps a SuspectModel instead,
 * which reads only what was committed since.
 */
export async function findSuspects({ db, store }: SuspectSources, now: number, query: SuspectQuery = {}): Promise<Suspect[]> {
  return new SuspectModel(db, store).list(now, query);
}

/** The registrable domain of a normalised sender, "" for a bounce. */
export function senderDomainOf(sender: string): string {
  return registrableDomain(domainOf(sender));
}
