/**
 * Greyward's Electron main process: one window onto the greylist database, and the supervisor of
 * the filter Postfix asks. Thin on purpose: the rules live in main/security, main/supervisor and
 * main/api, which run and are tested under plain Node.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Notification, safeStorage, session } from 'electron';
import type { EventName, EventPayload, FilterStatus } from '../../shared/contract.js';
import type { AppConnections } from '../api/connection-handlers.js';
import { openAdminSession, type AdminSession } from '../api/admin-session.js';
import { startAtRiskWatch, type AtRiskAlert, type AtRiskWatch } from '../insight/at-risk-watch.js';
import { APP_ENTRY_URL } from '../security/index.js';
import { openDatabase } from '../store/database.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SavedConnections } from '../store/saved-connections.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { surviveClosedOutput } from '../closed-output.js';
import { FilterSupervisor, nodeLauncher } from '../supervisor/filter-supervisor.js';
import { crashNotice, quitWarning } from '../supervisor/notices.js';
import { presenceProbe } from '../supervisor/presence-probe.js';
import { sharedDatabaseView } from '../supervisor/shared-database-view.js';
import { VERSION } from '../version.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { registerRequestHandlers, sendEvent } from './ipc.js';
import { hardenSession, hardenWebContents } from './window-security.js';

/** out/, from out/main/app/main.js. */
const OUT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const PRELOAD = join(OUT_DIR, 'preload', 'preload.cjs');
const RENDERER_DIR = join(OUT_DIR, 'renderer');

/**
 * `--db=PATH|URL`, `--connection=NAME` (a saved shared database), `--listen=HOST:PORT`,
 * `--socket=PATH` (Chromium switches take their value after "=").
 */
function switchValue(name: string): string | undefined {
  return app.commandLine.hasSwitch(name) ? app.commandLine.getSwitchValue(name) || undefined : undefined;
}

registerAppScheme();
app.enableSandbox();
// The filter's log is relayed to the app's stderr, which may be a closed pipe or a hung-up terminal.
surviveClosedOutput();

if (!app.requestSingleInstanceLock()) {
  // Another Greyward window is open: it is brought to the front (second-instance) and this one leaves.
  app.quit();
} else {
  let window: BrowserWindow | undefined;
  let supervisor: FilterSupervisor | undefined;
  let adminSession: AdminSession | undefined;
  let removeHandlers: (() => void) | undefined;
  let atRiskWatch: AtRiskWatch | undefined;
  /** Shown notifications, kept referenced until used so that a click still reaches its handler. */
  const shownNotifications = new Set<Notification>();
  /** 'asking': the quit dialog is open; 'closing': stopping the filter; 'done': let Electron quit. */
  let quitState: 'no' | 'asking' | 'closing' | 'done' = 'no';

  const contents = () => (window && !window.isDestroyed() ? window.webContents : undefined);

  const createWindow = async () => {
    window = new BrowserWindow({
      width: 1280,
      height: 820,
      minWidth: 900,
      minHeight: 600,
      show: false,
      title: 'Greyward',
      webPreferences: {
        preload: PRELOAD,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
        navigateOnDragDrop: false,
        safeDialogs: true,
        spellcheck: false,
        devTools: !app.isPackaged,
      },
    });
    const shown = window;
    shown.once('ready-to-show', () => shown.show());
    shown.on('close', (event) => {
      if (quitState === 'done') return;
      event.preventDefault();
      void requestQuit();
    });
    shown.on('closed', () => {
      if (window === shown) window = undefined;
    });
    shown.webContents.on('render-process-gone', (_event, details) => {
      // The filter runs in its own process and keeps answering Postfix; only the view is reloaded.
      if (details.reason !== 'clean-exit' && !shown.isDestroyed()) void shown.loadURL(APP_ENTRY_URL);
    });
    await shown.loadURL(APP_ENTRY_URL);
  };

  const notifyCrashes = (filter: FilterSupervisor) => {
    let previous: FilterStatus = filter.status();
    filter.onStatus((status) => {
      const notice = crashNotice(previous, status, filter.gaveUp);
      previous = status;
      if (notice && Notification.isSupported()) new Notification({ title: notice.title, body: notice.body }).show();
    });
  };

  /** Credible mail about to be lost: an OS notification; a click opens the At risk screen. */
  const notifyAtRisk = ({ title, body }: AtRiskAlert) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title, body });
    shownNotifications.add(notification);
    const forget = () => shownNotifications.delete(notification);
    notification.on('close', forget);
    notification.on('click', () => {
      forget();
      if (!window || window.isDestroyed()) return;
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      // The renderer follows the address's hash (renderer/app/Navigation.tsx).
      void window.webContents.executeJavaScript("location.hash = '#/at-risk'").catch(() => undefined);
    });
    notification.show();
  };

  const shutdown = async () => {
    atRiskWatch?.stop();
    atRiskWatch = undefined;
    removeHandlers?.();
    removeHandlers = undefined;
    // A filter the app started is stopped (SIGTERM: it answers what is in flight); an attached one is left running.
    await supervisor?.stop().catch(() => undefined);
    await adminSession?.close().catch(() => undefined);
    adminSession = undefined;
  };

  const requestQuit = async () => {
    if (quitState !== 'no') return;
    quitState = 'asking';
    const warning = supervisor ? quitWarning(supervisor.status(), supervisor.ownsFilter) : null;
    if (warning) {
      const options = { type: 'warning' as const, noLink: true, ...warning };
      const { response } = window && !window.isDestroyed() ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
      if (response === warning.cancelId) {
        quitState = 'no';
        return;
      }
    }
    quitState = 'closing';
    await shutdown();
    quitState = 'done';
    app.quit();
  };

  const start = async () => {
    hardenSession(session.defaultSession);
    serveRenderer(RENDERER_DIR);

    const saved = new SavedConnections(join(app.getPath('userData'), 'connections.json'), {
      available: () => safeStorage.isEncryptionAvailable(),
      encrypt: (text) => safeStorage.encryptString(text),
      decrypt: (data) => safeStorage.decryptString(data),
    });
    const current = switchValue('connection') ?? null;
    const connections: AppConnections = {
      saved,
      current,
      // Another database is another app session: the app starts again on it, through the usual quit.
      open: (name) => {
        const kept = process.argv.slice(1).filter((arg) => !arg.startsWith('--connection=') && !arg.startsWith('--db='));
        app.relaunch({ args: [...kept, ...(name !== null ? [`--connection=${name}`] : [])] });
        app.quit();
      },
    };
    let db: string;
    let store: SqliteStore | PgStore;
    try {
      db = current !== null ? saved.urlOf(current) : (switchValue('db') ?? process.env.GREYWARD_DB ?? join(app.getPath('userData'), 'greyward.db'));
      store = isDatabaseUrl(db) ? await PgStore.open(db) : new SqliteStore(openDatabase(db));
    } catch (error) {
      dialog.showErrorBox('Greyward cannot open its database', (error as Error).message);
      quitState = 'done';
      app.quit();
      return;
    }
    const emit = <N extends EventName>(event: N, payload: EventPayload<N>) => sendEvent(contents(), event, payload);
    let filter: FilterSupervisor | undefined;
    if (store instanceof PgStore) {
      // A shared database's filters run on the mail hosts; the app starts none.
      adminSession = await openAdminSession({ store, supervisor: sharedDatabaseView(VERSION), emit, connections });
    } else {
      const listen = switchValue('listen');
      const socket = switchValue('socket');
      filter = new FilterSupervisor({
        db,
        ...(listen !== undefined ? { listen } : {}),
        ...(socket !== undefined ? { socket } : {}),
        // Electron's own Node runs the filter (no second runtime to ship), as a plain child process:
        // an Electron utility process would end with the app, and a crashed app must leave mail flowing.
        launcher: nodeLauncher({ execPath: process.execPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, relay: (lines) => process.stderr.write(lines) }),
        findRunningFilter: presenceProbe({ store }),
      });
      supervisor = filter;
      notifyCrashes(filter);
      adminSession = await openAdminSession({ store, supervisor: filter, emit, connections });
    }
    removeHandlers = registerRequestHandlers(() => adminSession?.handlers, contents);
    await createWindow();
    await filter?.start();
    // After the window is up: a look over a big attempt log takes seconds of this process.
    if (quitState === 'closing' || quitState === 'done' || !adminSession) return;
    const handlers = adminSession.handlers;
    atRiskWatch = startAtRiskWatch({
      list: () => handlers['suspects.list']({}),
      alert: notifyAtRisk,
      onError: (error) => console.warn(`greyward: could not look for mail at risk: ${error.message}`),
    });
  };

  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('web-contents-created', (_event, created) => hardenWebContents(created));
  app.on('before-quit', (event) => {
    if (quitState === 'done') return;
    event.preventDefault();
    void requestQuit();
  });
  // The window's close handler asks first; once it is gone the app has nothing left to show.
  app.on('window-all-closed', () => app.quit());
  app.on('activate', () => {
    if (!window && quitState === 'no' && adminSession) void createWindow();
  });

  // Told to stop by the system (logout, systemctl, Ctrl+C): no question to ask, stop what the app started.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (quitState === 'closing' || quitState === 'done') return;
      quitState = 'closing';
      void shutdown().finally(() => {
        quitState = 'done';
        app.quit();
      });
    });
  }

  app
    .whenReady()
    .then(start)
    .catch((error: Error) => {
      dialog.showErrorBox('Greyward could not start', error.stack ?? error.message);
      quitState = 'done';
      app.quit();
    });
}
