import type { z } from 'zod';
import type { ImpactReport, RetryHistogram, Suspect } from '../../shared/insight-contract.js';
import type { impactPayload, retryHistogramPayload, suspectsListPayload } from '../../shared/insight-contract.js';
import { normaliseDomain } from '../../shared/lists.js';
import { resolveSettings, type Settings } from '../../shared/settings.js';
import { InsightQueries } from '../store/insight-queries.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { matchSubject, mailOf } from '../filter/engine.js';
import { ListMatcher } from '../filter/list-matcher.js';
import { KIND_CODE, type ListTables } from '../store/list-tables.js';
import { scanMails, type AttemptSubject, type MailScanOptions } from '../store/mail-scan.js';
import { replayImpact } from './impact.js';
import { KeptMailLog } from './kept-mail-log.js';
import { retryHistogram } from './retry-histogram.js';
import { SuspectModel } from './suspect-model.js';

/** The list a window shows at most; the CLI prints them all. */
const DEFAULT_SUSPECT_LIMIT = 1000;
const DAY = 86_400;

export type SuspectsQuery = z.output<typeof suspectsListPayload> & { now: number };
export type HistogramQuery = z.output<typeof retryHistogramPayload> & { now: number };
export type ImpactQuery = z.output<typeof impactPayload> & { now: number };

/** The insight reads that scan the attempt log: seconds over a million rows on a busy server. */
export interface InsightReads {
  suspects(query: SuspectsQuery): Promise<Suspect[]>;
  retryHistogram(query: HistogramQuery): Promise<RetryHistogram>;
  impact(query: ImpactQuery): Promise<ImpactReport>;
  /**
   * Starts copying the log for the impact preview, a chunk at a time between other reads, so that
   * the first preview reads only what came since; false when the copy is made already.
   */
  prepareImpact(): Promise<boolean>;
}

/** The reads on the caller's connection and thread. */
export function inlineInsightReads(store: SqliteStore): InsightReads & { warmImpact(): Promise<boolean> } {
  const insight = new InsightQueries(store.db);
  const settings = async () => resolveSettings(await store.storedSettings()).settings;
  // Kept between reads: each one reads only what the filter committed since the last.
  const model = new SuspectModel(store.db, store);
  const keptLog = new KeptMailLog(store.db);
  let warming = false;
  /** One chunk of the copy; false once it is complete. */
  const warmImpact = async () => {
    const current = resolveSettings(await store.storedSettings()).settings;
    return keptLog.warm(current.normaliseSender, (sender, recipient) => mailOf({ sender, recipient }, current));
  };
  const since = (days: number | undefined, now: number) => (days === undefined ? {} : { since: now - days * DAY });
  return {
    suspects: ({ all, limit, now }) => model.list(now, { all: all ?? false, limit: limit ?? DEFAULT_SUSPECT_LIMIT }),
    retryHistogram: async ({ domain, days, now }) => {
      const senderDomain = domain?.trim() ? normaliseDomain(domain) : null;
      const scan = insight.scanAttempts({ ...since(days, now), ...(senderDomain ? { senderDomain } : {}) });
      return retryHistogram(scan, (await settings()).delay, senderDomain);
    },
    impact: async ({ settings: proposal, days, now }) => {
      const { settings: current, lists: tables } = await store.readPolicy();
      const proposed = { ...current, ...proposal };
      const options = impactScanOptions(current, proposed, tables, now);
      const from = since(days, now).since;
      const scan = options.greyListed ? scanMails(store.db, { ...options, since: from }) : keptLog.read(from, current.normaliseSender, options.mailKey);
      return replayImpact(scan, current, proposed, now);
    },
    warmImpact,
    prepareImpact: async () => {
      if (warming) return false;
      warming = true;
      // A chunk a turn, so that other reads are answered in between; the request itself answers at once.
      const next = (): void => {
        warmImpact().then(
          (more) => (more ? setTimeout(next, 0) : (warming = false)),
          () => (warming = false),
        );
      };
      setTimeout(next, 0);
      return true;
    },
  };
}

/** How the impact replay reads the log: mails keyed as the filter keys them, the grey list asked only when a side greylists by it. */
export function impactScanOptions(current: Settings, proposed: Settings, tables: ListTables, now: number): Omit<MailScanOptions, 'since'> {
  const mailKey = (sender: string, recipient: string) => mailOf({ sender, recipient }, current);
  // An empty grey list matches nothing: no attempt's texts need reading.
  if ((current.mode !== 'grey-list-only' && proposed.mode !== 'grey-list-only') || tables.grey.count === 0) return { mailKey };
  const lists = new ListMatcher(tables);
  return {
    mailKey,
    greyListed: (attempt: AttemptSubject) => !!lists.match('grey', matchSubject({ ...attempt, protocolState: 'RCPT' }), now),
    // Only a sender-domain-scoped entry looks at more than one field of an attempt.
    greyListedByField: !tables.grey.kinds.includes(KIND_CODE['sender-domain-scoped']),
  };
}
