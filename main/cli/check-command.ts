import { Command } from 'commander';
import { FilterService } from '../filter/filter-service.js';
import { quietLog } from '../filter/log.js';
import { VERSION } from '../version.js';
import { dbOption, jsonOption, openCommandStore, printJson } from './options.js';

interface CheckOptions {
  db: string;
  clientAddress: string;
  clientName: string;
  helo: string;
  sender: string;
  recipient: string;
  json?: boolean;
}

export function checkCommand(): Command {
  return new Command('check')
    .description('tell what the filter would answer now for one recipient, and why; changes nothing')
    .addOption(dbOption())
    .requiredOption('--client-address <ip>', 'the connecting client, e.g. 192.0.2.7')
    .option('--client-name <name>', 'its verified hostname', 'unknown')
    .option('--helo <name>', 'its HELO name', '')
    .requiredOption('--sender <address>', 'envelope sender ("" for a bounce)')
    .requiredOption('--recipient <address>', 'envelope recipient')
    .addOption(jsonOption())
    .action(async (options: CheckOptions) => {
      const store = await openCommandStore(options.db, true);
      const service = await FilterService.start({ store, log: quietLog(), productVersion: VERSION, expiryIntervalMs: 0 });
      try {
        const decision = await service.explain({
          protocolState: 'RCPT',
          clientAddress: options.clientAddress,
          clientName: options.clientName,
          reverseClientName: options.clientName,
          helo: options.helo,
          sender: options.sender,
          recipient: options.recipient,
          queueId: '',
          instance: '',
        });
        const { action, reason, rule, reply, delay } = decision;
        if (options.json) printJson({ action, reason, rule, reply, delay });
        else process.stdout.write(`${action}: ${reply}\nreason: ${reason}\nrule: ${rule}\n${delay === null ? '' : `delay: ${delay} s\n`}`);
      } finally {
        await service.stop();
        await store.close();
      }
    });
}
