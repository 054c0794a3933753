import type { z } from 'zod';
import type { ImpactReport, RetryHistogram, Suspect } from '../../shared/insight-contract.js';
import type { impactPayload, retryHistogramPayload, suspectsListPayload } from '../../shared/insight-contract.js';
import { normaliseDomain } from '../../shared/lists.js';
import { resolveSettings } from '../../shared/settings.js';
import { InsightQueries } from '../store/insight-queries.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { matchSubject, mailOf } from '../filter/engine.js';
import { ListMatcher } from '../filter/list-matcher.js';
import { scanMails, type AttemptSubject } from '../store/mail-scan.js';
import { replayImpact } from './impact.js';
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
}

/** The reads on the caller's connection and thread. */
export function inlineInsightReads(store: SqliteStore): InsightReads {
  const insight = new InsightQueries(store.db);
  const settings = async () => resolveSettings(await store.storedSettings()).settings;
  // Kept between reads: each one reads only what the filter committed since the last.
  const model = new SuspectModel(store.db, store);
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
      const lists = current.mode === 'grey-list-only' || proposed.mode === 'grey-list-only' ? new ListMatcher(tables) : undefined;
      const scan = scanMails(store.db, {
        ...since(days, now),
        mailKey: (sender, recipient) => mailOf({ sender, recipient }, current),
        ...(lists ? { greyListed: (attempt: AttemptSubject) => !!lists.match('grey', matchSubject({ ...attempt, protocolState: 'RCPT' }), now) } : {}),
      });
      return replayImpact(scan, current, proposed, now);
    },
  };
}
