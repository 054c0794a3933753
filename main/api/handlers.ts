import type { FilterStatus, SharedFilter } from '../../shared/contract.js';
import { formatListFile } from '../../shared/list-files.js';
import { counted } from '../../shared/plural.js';
import { SettingsRefused } from '../../shared/settings-change.js';
import { resolveSettings } from '../../shared/settings.js';
import type { Decision } from '../filter/engine.js';
import type { PolicyRequest } from '../filter/policy-protocol.js';
import { insightHandlers, sharedDatabaseInsight } from '../insight/insight-handlers.js';
import type { InsightReads } from '../insight/insight-reads.js';
import type { AdminReads } from '../store/admin-reads.js';
import type { SqliteDatabase } from '../store/database.js';
import { InvalidEntriesError } from '../store/list-entry-rows.js';
import type { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { connectionHandlers, type AppConnections } from './connection-handlers.js';
import { UserError, type Handlers } from './dispatch.js';
import { saveSettings } from './save-settings.js';

export interface HandlerContext {
  /** A database file's store, or a shared PostgreSQL one. */
  store: SqliteStore | PgStore;
  queries: AdminReads;
  supervisor: { status(): FilterStatus; restart(): Promise<FilterStatus> };
  /** Answers "what would the filter do now", like `greyward check`. */
  checker: { explain(request: PolicyRequest): Promise<Decision> };
  /** The reads that scan the attempt log (mail at risk, retry behaviour, impact), on a database file. */
  insight?: InsightReads;
  /** On a shared database: the workstation's copy the insight reads (see PgReplica). */
  sharedCopy?: { db: SqliteDatabase; sync(): Promise<void> };
  /** On a shared database: every filter on it. */
  sharedFilters?: (now: number) => Promise<SharedFilter[]>;
  /** The desktop app's saved databases; absent in the browser host. */
  connections?: AppConnections;
  clock: () => number;
}

function startOfLocalDay(now: number): number {
  const day = new Date(now * 1000);
  day.setHours(0, 0, 0, 0);
  return Math.floor(day.getTime() / 1000);
}

/** Every request of the contract, against the store; shared by Electron IPC and the browser host. */
export function createHandlers({ store, queries, supervisor, checker, insight, sharedCopy, sharedFilters, connections, clock }: HandlerContext): Handlers {
  const settings = async () => resolveSettings(await store.storedSettings()).settings;
  const databasePath = store instanceof SqliteStore ? store.db.name : store.description;
  const settingsView = async () => ({ ...resolveSettings(await store.storedSettings()), databasePath });
  return {
    'overview.get': async ({ range }) => {
      const now = clock();
      return {
        filter: supervisor.status(),
        ...(sharedFilters ? { filters: await sharedFilters(now) } : {}),
        ...(await queries.overview(now, startOfLocalDay(now), range)),
      };
    },
    'filter.status': async () => supervisor.status(),
    'filter.restart': async () => supervisor.restart(),
    'attempts.recent': async ({ limit, actions }) => queries.recentAttempts(limit, actions),
    'attempts.deferrals': async ({ limit }) => queries.deferralsWithOutcomes(limit),
    'attempts.search': async ({ query, limit }) => queries.searchAttempts(query, limit),
    'triplets.get': async ({ id }) => ({ triplet: await queries.triplet(id, clock(), await settings()), attempts: await queries.attemptsOfTriplet(id) }),
    'triplets.page': async (query) => queries.tripletPage(query, clock(), await settings()),
    'triplets.passNow': async ({ ids }) => ({ updated: await queries.passTripletsNow(ids, clock()) }),
    'triplets.delete': async ({ ids }) => ({ deleted: await queries.deleteTriplets(ids) }),
    'lists.get': async ({ list, search }) => store.listEntries({ ...(list ? { list } : {}), ...(search ? { search } : {}) }),
    'lists.add': async ({ entries, source }) => {
      try {
        return await store.addEntries(
          entries.map((entry) => ({ ...entry, comment: entry.comment ?? '', expiresAt: entry.expiresAt ?? null, source })),
          clock(),
        );
      } catch (error) {
        if (error instanceof InvalidEntriesError) {
          const refused = entries.length === 1 ? 'the entry is' : `${error.problems.length} of ${counted(entries.length, 'entry', 'entries')} ${error.problems.length === 1 ? 'is' : 'are'}`;
          throw new UserError(`${refused} not valid; nothing was added`, error.message.split('\n'));
        }
        throw error;
      }
    },
    'lists.edit': async ({ id, ...change }) => store.editEntry(id, change, clock()),
    'lists.remove': async ({ ids }) => ({ removed: await store.removeEntries(ids) }),
    'lists.export': async ({ list, format }) => {
      const { text, skipped } = formatListFile(format, await store.listEntries({ list }));
      return { text, skipped: skipped.length };
    },
    'settings.get': async () => settingsView(),
    'settings.set': async ({ changes }) => {
      try {
        const { warnings, restartNeeded } = await saveSettings(store, changes, [], clock());
        return { ...(await settingsView()), warnings, restartNeeded };
      } catch (error) {
        if (error instanceof SettingsRefused) throw new UserError('nothing was saved: some values are not valid', error.problems);
        throw error;
      }
    },
    'check.explain': async ({ clientAddress, clientName, sender, recipient }) => {
      const { action, reason, rule, reply, delay } = await checker.explain({
        protocolState: 'RCPT',
        clientAddress,
        clientName: clientName || 'unknown',
        reverseClientName: clientName || 'unknown',
        helo: '',
        sender,
        recipient,
        queueId: '',
        instance: '',
      });
      return { action, reason, rule, reply, delay };
    },
    ...(insight && (store instanceof SqliteStore || sharedCopy)
      ? insightHandlers({ db: store instanceof SqliteStore ? store.db : sharedCopy!.db, admin: queries, store, reads: insight, clock, ...(sharedCopy ? { afterFix: () => sharedCopy.sync() } : {}) })
      : sharedDatabaseInsight()),
    ...connectionHandlers(connections),
  };
}
