import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { FilterStatus } from '../../shared/contract.js';
import { openAdminSession } from '../api/admin-session.js';
import { startBrowserHost, type BrowserHost } from '../browser-host/browser-host.js';
import { openDatabase } from '../store/database.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FilterSupervisor, nodeLauncher } from '../supervisor/filter-supervisor.js';
import { presenceProbe } from '../supervisor/presence-probe.js';
import { sharedDatabaseView } from '../supervisor/shared-database-view.js';
import { VERSION } from '../version.js';
import { surviveClosedOutput } from '../closed-output.js';
import { dbOption } from './options.js';

const RENDERER_DIR = fileURLToPath(new URL('../../renderer/', import.meta.url));

interface UiOptions {
  db: string;
  port: string;
  listen?: string;
  socket?: string;
}

function describeStatus(status: FilterStatus): string {
  // The pid of a filter this command runs: the one to stop by hand if this command is killed and leaves it behind.
  const pid = (status.state === 'running' || status.state === 'starting') && status.pid !== null ? ` (pid ${status.pid})` : '';
  return `filter ${status.state}${status.message ? `: ${status.message}` : ''}${pid}`;
}

/** Why the screens could not be served, in words an administrator can act on. */
function hostError(error: NodeJS.ErrnoException, port: number): Error {
  if (error.code === 'EADDRINUSE') return new Error(`cannot serve the screens: 127.0.0.1:${port} is already in use; choose another --port (0: any free port)`);
  if (error.code === 'EACCES') return new Error(`cannot serve the screens: 127.0.0.1:${port} needs privileges; choose a --port above 1023 (0: any free port)`);
  return new Error(`cannot serve the screens: ${error.message}`);
}

export function uiCommand(): Command {
  return new Command('ui')
    .description('serve the administration screens on a loopback address (for a browser, or through an SSH tunnel), and supervise the filter')
    .addOption(dbOption())
    .option('--port <n>', 'loopback port for the screens (0: any free port)', '0')
    .option('--listen <host:port>', "the filter's TCP address, if it has to be started; default: the listen setting")
    .option('--socket <path>', "the filter's UNIX socket, if it has to be started; default: the socket setting")
    .addHelpText(
      'after',
      '\nThe first line on stdout is the address to open, token included; anything without the token is refused.\n' +
        "The filter's log, one line per decision, and this command's own lines go to stderr.\n" +
        'A filter already serving the database (e.g. under systemd) is attached to, not started again, and left running on exit.\n' +
        'Ctrl-C or SIGTERM stops the filter this command started; if this command is killed, the filter keeps answering Postfix\n' +
        'and the next `greyward ui` attaches to it.',
    )
    .action(async (options: UiOptions) => {
      if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) throw new Error(`--port "${options.port}" is not a port number`);
      surviveClosedOutput();
      const say = (line: string) => process.stderr.write(`${line}\n`);
      // A shared PostgreSQL database: its filters run on the mail hosts, none is started here.
      const store = isDatabaseUrl(options.db) ? await PgStore.open(options.db) : new SqliteStore(openDatabase(options.db));
      const supervisor =
        store instanceof SqliteStore
          ? new FilterSupervisor({
              db: options.db,
              ...(options.listen !== undefined ? { listen: options.listen } : {}),
              ...(options.socket !== undefined ? { socket: options.socket } : {}),
              launcher: nodeLauncher({ relay: (lines) => process.stderr.write(lines) }),
              findRunningFilter: presenceProbe({ store }),
              version: VERSION,
            })
          : undefined;
      let host: BrowserHost | undefined;
      const session = await openAdminSession({
        store,
        supervisor: supervisor ?? sharedDatabaseView(VERSION),
        emit: (event, payload) => host?.broadcast(event, payload),
        progress: say,
      });
      // The screens' port first: when it is taken, nothing has been started yet, and nothing is left behind.
      try {
        host = await startBrowserHost({ handlers: session.handlers, staticDir: RENDERER_DIR, port: Number(options.port), log: say });
      } catch (error) {
        await session.close();
        throw hostError(error as NodeJS.ErrnoException, Number(options.port));
      }
      process.stdout.write(`${host.url}\n`);
      if (store instanceof PgStore) say(`shared database ${store.description}: no filter is started here; the Overview lists the filters on the mail hosts`);
      let closing = false;
      const close = async (signal: string) => {
        if (closing) process.exit(1);
        closing = true;
        say(`${signal}: closing the screens${supervisor?.ownsFilter ? ' and stopping the filter this command started' : ''}`);
        // Together: a filter that got the same Ctrl-C exits by itself, and must not be restarted while the screens close.
        await Promise.all([host?.close(), supervisor?.stop()]);
        await session.close();
        process.exit(0);
      };
      // Before the filter is started: a Ctrl-C while it starts must stop it, not leave it behind.
      process.on('SIGTERM', () => void close('SIGTERM'));
      process.on('SIGINT', () => void close('SIGINT'));
      if (!supervisor) return;
      supervisor.onStatus((status) => say(describeStatus(status)));
      await supervisor.start();
    });
}
