import { hostname } from 'node:os';
import { openDatabase } from '../store/database.js';
import { DatabaseFileWatch } from '../store/database-file.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ClockOffsetWarning } from './clock-offset.js';
import { VERSION } from '../version.js';
import { checkEndpoints } from './endpoint-check.js';
import { FilterService, systemClock, type Clock, type FilterServiceOptions } from './filter-service.js';
import type { Log } from './log.js';
import { PolicyServer, type PolicyServerOptions } from './policy-server.js';

export interface FilterDaemonOptions {
  db: string;
  /** HOST:PORT; port 0 picks a free one. Undefined: the `listen` setting. */
  listen?: string;
  /** UNIX socket path. Undefined: the `socket` setting. */
  socket?: string;
  /** Permissions of the UNIX socket; like postgrey, 0666 by default: its directory is what protects it. */
  socketMode?: number;
  /** Who decides, as recorded with each attempt in a shared database; the host name by default. Tells apart several filters on one host. */
  filterName?: string;
  log: Log;
  clock?: Clock;
  busyTimeoutMs?: number;
  /**
   * Called once the database file was deleted, replaced, or restored after it had been overwritten:
   * the filter's connections hold a file no one else reads, so it should stop and be started again
   * on the file now there (filter-command exits with EX_TEMPFAIL; systemd and the app restart it).
   */
  onDatabaseLost?: (reason: string) => void;
  /** How often the database file is checked; 1 s by default. */
  fileCheckIntervalMs?: number;
  /** Connection limits and timeouts, where the defaults do not suit. */
  server?: Pick<PolicyServerOptions, 'limits' | 'maxConnections' | 'idleTimeoutMs' | 'requestTimeoutMs' | 'maxUnsentAnswers'>;
  /** How far decisions may run ahead of the disk, and how long an answer waits for it, where the defaults do not suit. */
  service?: Pick<FilterServiceOptions, 'maxBacklog' | 'maxAnswerWaitMs'>;
}

export interface RunningFilter {
  service: FilterService;
  server: PolicyServer;
  endpoints: { tcp?: string; unix?: string };
  /** Reads lists, settings and the stored greylist again (SIGHUP): for changes made behind Greyward's back. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** How long a filter waits for a shared database's lookup before answering per failMode: Postfix is waiting. */
const SHARED_LOOKUP_TIMEOUT_MS = 100;

/** How often a running filter says so in the database; the app treats 3 missed beats as gone. */
export const PRESENCE_INTERVAL_MS = 5000;

/** The filter as a long-running process: store, service and server, wired to signals by the caller. */
export async function startFilter(options: FilterDaemonOptions): Promise<RunningFilter> {
  // A short lock wait: the filter answers Postfix, and an answer that cannot wait fails open instead.
  const busyTimeoutMs = options.busyTimeoutMs ?? 1000;
  const clock = options.clock ?? systemClock;
  const shared = isDatabaseUrl(options.db);
  const store = shared
    ? await PgStore.open(options.db, { filterName: options.filterName ?? hostname(), lookupsFromMemory: true, lookupTimeoutMs: SHARED_LOOKUP_TIMEOUT_MS, log: options.log })
    : new SqliteStore(openDatabase(options.db, { busyTimeoutMs }), {
        backgroundWrites: true,
        policyOnWorker: true,
        lookupsFromMemory: { self: { pid: process.pid, host: hostname() }, clock, freshSeconds: (3 * PRESENCE_INTERVAL_MS) / 1000 },
        busyTimeoutMs,
      });
  const service = await FilterService.start({ ...options.service, store, log: options.log, productVersion: VERSION, clock });
  const settings = service.settings;
  const server = new PolicyServer({
    ...options.server,
    answer: (request) => service.answer(request),
    log: options.log,
    allowedClients: () => service.settings.allowedClients,
  });
  const listen = options.listen ?? (options.socket === undefined ? settings.listen : '');
  const socket = options.socket ?? (options.listen === undefined ? settings.socket : '');
  const endpoints: RunningFilter['endpoints'] = {};
  try {
    if (!listen && !socket) throw new Error('nothing to listen on: give --listen HOST:PORT or --socket PATH (or set listen/socket)');
    const address = await checkEndpoints({ listen, socket }, { anyPort: true });
    if (address) {
      const { host, port } = address;
      const bound = await server.listenTcp(host, port);
      endpoints.tcp = bound.host.includes(':') ? `[${bound.host}]:${bound.port}` : `${bound.host}:${bound.port}`;
    }
    if (socket) {
      await server.listenUnix(socket, options.socketMode ?? 0o666);
      endpoints.unix = socket;
    }
  } catch (error) {
    await server.close();
    await service.stop();
    await store.close();
    throw error;
  }
  options.log.info(
    `greyward ${VERSION} filter ready on ${[endpoints.tcp && `tcp ${endpoints.tcp}`, endpoints.unix && `unix ${endpoints.unix}`].filter(Boolean).join(' and ')}, ` +
      `database ${store instanceof PgStore ? `${store.description} (shared)` : options.db}`,
  );
  // On a shared database the Overview lists filters by the name their attempts carry.
  const presence = { pid: process.pid, host: shared ? (options.filterName ?? hostname()) : hostname(), endpoints, version: VERSION, startedAt: clock(), seenAt: clock() };
  const clockCheck = new ClockOffsetWarning(options.log);
  const announce = () =>
    store.announce({ ...presence, seenAt: clock() }, true).then(
      (answer) => clockCheck.heard(answer?.clockOffset),
      (error: Error) => options.log.warn(`could not announce the filter: ${error.message}`),
    );
  await announce();
  const heartbeat = setInterval(() => void announce(), PRESENCE_INTERVAL_MS).unref();
  // A server's database has no file here to watch.
  const fileWatch = shared ? undefined : watchDatabaseFile(options, service);
  let stopping: Promise<void> | undefined;
  return {
    service,
    server,
    endpoints,
    reload: () => {
      if (store instanceof SqliteStore) store.rereadGreylist();
      return service.reload();
    },
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(heartbeat);
        clearInterval(fileWatch);
        await server.close();
        await service.stop();
        await store.announce(presence, false).catch(() => undefined);
        await store.close();
      })()),
  };
}

/**
 * Notices the database file deleted, replaced, or overwritten in place under the running filter,
 * and says so once. Overwritten: answers go per failMode (the file cannot be read) until the file
 * is a database again; then, as for a deleted or replaced file, onDatabaseLost.
 */
function watchDatabaseFile(options: FilterDaemonOptions, service: FilterService): NodeJS.Timeout {
  const watch = new DatabaseFileWatch(options.db);
  let overwritten = false;
  let lost = false;
  const check = () => {
    if (lost) return;
    let state;
    try {
      state = watch.check();
    } catch (error) {
      return void options.log.warn(`could not check the database file ${options.db}: ${(error as Error).message}`);
    }
    if (state.change === 'not-a-database') {
      if (!overwritten) {
        const answer = service.settings.failMode === 'open' ? 'DUNNO' : 'a temporary failure';
        options.log.error(`DATABASE LOST: ${state.detail}. Answering ${answer} to every request (failMode=${service.settings.failMode}) until it is restored; the filter then restarts on it.`);
        service.suspend(state.detail);
        overwritten = true;
      }
      return;
    }
    if (state.change === 'none' && !overwritten) return;
    lost = true;
    const reason = state.change === 'none' ? `${options.db} is a database again after it had been overwritten` : state.detail;
    options.log.error(`DATABASE LOST: ${reason} while the filter was running; what it wrote since went to a file no one reads. Stopping, so that the filter starts again on the file now there.`);
    service.suspend(reason);
    options.onDatabaseLost?.(reason);
  };
  service.checkStoreOnFailure(check);
  return setInterval(check, options.fileCheckIntervalMs ?? 1000).unref();
}
