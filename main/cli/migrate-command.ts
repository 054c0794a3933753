import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { openTransferSource, openTransferTarget, sameDatabase } from '../store/transfer/transfer-ends.js';
import { transferGreylist } from '../store/transfer/transfer.js';
import { jsonOption, printJson } from './options.js';

const MIGRATE_HELP = `
Moves a whole greylist: list entries (ids, hits, sources, comments, expiry), settings and their
history, triplets with their counts, client pass counters, and the attempt log. From a database
file into a PostgreSQL greylist that several MX hosts share, and back; file to file and
PostgreSQL to PostgreSQL work too. The source is only read (one consistent snapshot: stop the
filters on it first, or their later decisions stay behind). The target is written in one
transaction: if anything fails it is left as it was (a file this command created is removed).
Filters on the target go on answering meanwhile; what they decide is written once the copy is
in. Its policy version moves on, so running filters read the lists and settings again.

A target that holds data (a triplet, an attempt, a client counter, a stored setting or setting
change, or a list entry besides the postmaster@ and abuse@ a new database starts with) is
refused unless --merge is given. Without --merge the source's lists replace those two defaults.
--merge adds the source to a PostgreSQL target (never to a file, whose log must stay in time
order by id):
  list entries     the target's entry stays where both have the same list, kind and pattern,
                   with the hits of both; the source's other entries are added with new ids
  settings         the target's values stay; a setting only the source stored is added, with its
                   history, if all settings still hold together (else none is, and it says so)
  triplets         the same triplet in both: attempts, early attempts and passes add up, first
                   seen is the earlier, last seen the later, passed at the earlier pass
  client counters  passes add up; last counted and last seen are the later
  attempts         all added, with new ids, each naming the target's row of its triplet

Attempts in PostgreSQL name the filter that decided them: those from a file take --filter-name
(the host name of the filter that wrote the file; default this host's name). On the way back
into a file the name is kept with each attempt.

Progress goes to standard error every 2 s; the summary to standard output.`;

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('move a greylist between a database file and a shared PostgreSQL one (or add it to one with --merge)')
    .addOption(new Option('--from <path|url>', 'the greylist to copy: a database file or a PostgreSQL URL (only read)').makeOptionMandatory())
    .addOption(new Option('--to <url|path>', 'where to copy it: a PostgreSQL URL (postgres://user@host:5432/greyward) or a database file').makeOptionMandatory())
    .option('--merge', 'add to a PostgreSQL target that holds data already (see below)', false)
    .option('--filter-name <host>', 'who decided the attempts of a database file, as PostgreSQL records it', hostname())
    .addOption(jsonOption())
    .addHelpText('after', MIGRATE_HELP)
    .action(async (options: { from: string; to: string; merge: boolean; filterName: string; json?: boolean }) => {
      if (sameDatabase(options.from, options.to)) throw new Error(`--from and --to name the same database (${options.to}); nothing was copied`);
      const say = (line: string) => void process.stderr.write(`migrate: ${line}\n`);
      const source = await openTransferSource(options.from);
      try {
        const target = await openTransferTarget(options.to, { filterName: options.filterName, say });
        try {
          const report = await transferGreylist(source, target, { merge: options.merge, say });
          if (options.json) printJson({ from: source.description, to: target.description, ...report });
          else process.stdout.write(`${report.merged ? 'merged' : 'copied'} ${source.description} into ${target.description}\n`);
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}
