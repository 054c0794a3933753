import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { openAdminSession } from '../api/admin-session.js';
import { startBrowserHost, type BrowserHost } from '../browser-host/browser-host.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FilterSupervisor, nodeLauncher } from '../supervisor/filter-supervisor.js';
import { presenceProbe } from '../supervisor/presence-probe.js';
import { VERSION } from '../version.js';
import { dbOption } from './options.js';

const RENDERER_DIR = fileURLToPath(new URL('../../renderer/', import.meta.url));

interface UiOptions {
  db: string;
  port: string;
  listen?: string;
  socket?: string;
}

export function uiCommand(): Command {
  return new Command('ui')
    .description('serve the administration screens on a loopback address (for a browser, or through an SSH tunnel), and supervise the filter')
    .addOption(dbOption())
    .option('--port <n>', 'loopback port for the screens (0: any free port)', '0')
    .option('--listen <host:port>', "the filter's TCP address, if it has to be started; default: the listen setting")
    .option('--socket <path>', "the filter's UNIX socket, if it has to be started; default: the socket setting")
    .addHelpText('after', '\nThe first line on stdout is the address to open, token included; anything without the token is refused.\nA filter already serving the database (e.g. under systemd) is attached to, not started again, and left running on exit.')
    .action(async (options: UiOptions) => {
      if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) throw new Error(`--port "${options.port}" is not a port number`);
      const store = new SqliteStore(openDatabase(options.db));
      const supervisor = new FilterSupervisor({
        db: options.db,
        ...(options.listen !== undefined ? { listen: options.listen } : {}),
        ...(options.socket !== undefined ? { socket: options.socket } : {}),
        launcher: nodeLauncher(),
        findRunningFilter: presenceProbe({ store }),
        version: VERSION,
      });
      let host: BrowserHost | undefined;
      const session = await openAdminSession({ store, supervisor, emit: (event, payload) => host?.broadcast(event, payload) });
      host = await startBrowserHost({
        handlers: session.handlers,
        staticDir: RENDERER_DIR,
        port: Number(options.port),
        log: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(`${host.url}\n`);
      supervisor.onStatus((status) => process.stderr.write(`filter ${status.state}${status.message ? `: ${status.message}` : ''}\n`));
      await supervisor.start();
      let closing = false;
      const close = async (signal: string) => {
        if (closing) process.exit(1);
        closing = true;
        process.stderr.write(`${signal}: closing the screens${supervisor.ownsFilter ? ' and stopping the filter this command started' : ''}\n`);
        await host?.close();
        await supervisor.stop();
        await session.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void close('SIGTERM'));
      process.on('SIGINT', () => void close('SIGINT'));
    });
}
