import { Command } from 'commander';
import { startFilter } from '../filter/daemon.js';
import { streamLog } from '../filter/log.js';
import { surviveClosedOutput } from '../closed-output.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { dbOption } from './options.js';

const EX_TEMPFAIL = 75;

export function filterCommand(): Command {
  return new Command('filter')
    .description('run the policy service Postfix asks about every recipient (SIGTERM drains and exits, SIGHUP reads lists, settings and the greylist again)')
    .addOption(dbOption())
    .option('--listen <host:port>', 'TCP address to answer on (port 0: any free port); default: the listen setting')
    .option('--socket <path>', 'UNIX socket to answer on; default: the socket setting')
    .option('--socket-mode <octal>', "the UNIX socket's permissions (Postfix's smtpd, user postfix, must be able to write to it)", '0666')
    .option('--name <name>', 'the name recorded with each decision in a shared PostgreSQL greylist, to tell apart filters on one host; default: the host name')
    .option('--debug', 'also log the requests answered without a decision (other stages, no recipient)')
    .addHelpText('after', '\nThe first line on stdout is "ready tcp=HOST:PORT unix=PATH" once requests are answered.\nOne log line per decision goes to stderr.')
    .action(async (options: { db: string; listen?: string; socket?: string; socketMode: string; name?: string; debug?: boolean }) => {
      if (!/^0?[0-7]{3}$/.test(options.socketMode)) throw new Error(`--socket-mode "${options.socketMode}" is not an octal mode such as 0666 or 0660`);
      if (options.name !== undefined) {
        if (!isDatabaseUrl(options.db)) throw new Error(`--name names the filter in a shared PostgreSQL greylist; a database file records no filter name (${options.db})`);
        if (!/^\S+$/.test(options.name)) throw new Error(`--name "${options.name}" must be a name without spaces, such as mx1`);
      }
      surviveClosedOutput();
      const log = streamLog(undefined, { debug: options.debug ?? false });
      const filter = await startFilter({
        // EX_TEMPFAIL: the supervisor (systemd's Restart=, greyward ui, the app) starts it again on the file now there.
        onDatabaseLost: () => {
          void filter.stop().finally(() => process.exit(EX_TEMPFAIL));
        },
        db: options.db,
        ...(options.listen !== undefined ? { listen: options.listen } : {}),
        ...(options.socket !== undefined ? { socket: options.socket } : {}),
        socketMode: parseInt(options.socketMode, 8),
        ...(options.name !== undefined ? { filterName: options.name } : {}),
        log,
      });
      process.on('SIGHUP', () => {
        log.info('SIGHUP: reloading lists, settings and the stored greylist');
        filter.reload().catch((error: Error) => log.error(`reload failed: ${error.message}`));
      });
      let signals = 0;
      const shutdown = (signal: string) => {
        if (++signals > 1) process.exit(1);
        log.info(`${signal}: answering the requests in flight, then exiting`);
        filter.stop().then(
          () => process.exit(0),
          (error: Error) => {
            log.error(`shutdown: ${error.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // No 'disconnect' handler: the program that started the filter (greyward ui, the app) may die,
      // and Postfix still needs its answers. The next one attaches to this filter.
      process.on('unhandledRejection', (reason) => log.error(`unexpected: ${String((reason as Error)?.stack ?? reason)}`));
      process.on('uncaughtException', (error) => {
        // State may be inconsistent now: exit so that the supervisor (systemd, the app) starts a clean filter.
        log.error(`unexpected, exiting: ${error.stack ?? error.message}`);
        process.exit(70);
      });
      // Only now, with the signals handled, may a supervisor or script rely on the filter.
      const parts = Object.entries(filter.endpoints).map(([kind, address]) => `${kind}=${address}`);
      process.stdout.write(`ready ${parts.join(' ')}\n`);
      // With a callback, a parent already gone is no error (without one it would be an 'error' event).
      process.send?.({ type: 'ready', endpoints: filter.endpoints, pid: process.pid }, undefined, {}, () => undefined);
    });
}
