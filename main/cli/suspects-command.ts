import { Command } from 'commander';
import type { Suspect } from '../../shared/insight-contract.js';
import { CLASSIFICATION_RULES } from '../insight/classify.js';
import { humanDuration } from '../insight/domains.js';
import { SuspectModel } from '../insight/suspect-model.js';
import { dbOption, formatTable, jsonOption, nowSeconds, withFileStore } from './options.js';
import { isDatabaseUrl } from '../store/postgres/pg-connection.js';
import { PgReplica } from '../store/postgres/pg-replica.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { SqliteStore } from '../store/sqlite-store.js';

const CLASS_HELP = `
Classes (a suspect may have several; the first is its primary):
  hammering        ${CLASSIFICATION_RULES.hammeringEarlyRetries}+ retries inside the delay, or ${CLASSIFICATION_RULES.hammeringMinRetries}+ retries under ${CLASSIFICATION_RULES.hammeringMedianGap} s apart (spam-like)
  pool-rotation    the same sender and recipient deferred from several client networks: each starts over
  family-switch    the same sender and recipient over IPv4 and IPv6: each family starts over
  early-then-gone  retried only before the delay, then silent for max(2 x delay, 15 min) (Exchange 2003 SP2)
  never-retried    one attempt, then silent for ${humanDuration(CLASSIFICATION_RULES.neverRetriedAfter)} (mostly spam)

CRED is a 0..1 credibility (1: most likely legitimate); --json lists its reasons and every attempt.
Without --all, suspects whose retry window has closed and spam-like ones under 0.5 are left out.`;

function timeLeft(suspect: Suspect): string {
  return suspect.secondsLeft > 0 ? humanDuration(suspect.secondsLeft) : `closed ${humanDuration(suspect.secondsLeft)} ago`;
}

function clients(suspect: Suspect): string {
  const groups = suspect.clientGroups;
  return groups.length <= 2 ? groups.join(' ') : `${groups.slice(0, 2).join(' ')} +${groups.length - 2}`;
}

/** The table keeps a row of words per suspect, not the suspect: a busy server's list is hundreds of thousands long. */
function printSuspects(suspects: Iterable<Suspect>): void {
  const rows = [['CLASS', 'CRED', 'SENDER', 'RECIPIENT', 'CLIENTS', 'ATTEMPTS', 'LEFT', 'EVIDENCE']];
  for (const s of suspects) {
    rows.push([s.classes.join(','), s.credibility.toFixed(2), s.sender, s.recipient, clients(s), String(s.attempts), timeLeft(s), s.summary]);
  }
  if (rows.length === 1) return void process.stdout.write('no mail at risk\n');
  process.stdout.write(formatTable(rows));
}

/** The JSON of the whole list (as JSON.stringify(list, null, 2) writes it), one suspect at a time. */
async function streamJson(suspects: Iterable<Suspect>): Promise<void> {
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  };
  let first = true;
  for (const suspect of suspects) {
    const item = `${first ? '[\n' : ',\n'}  ${JSON.stringify(suspect, null, 2).replaceAll('\n', '\n  ')}`;
    first = false;
    pending.push(item);
    size += item.length;
    if (size >= 1 << 20) await flush();
  }
  pending.push(first ? '[]\n' : '\n]\n');
  await flush();
}

/**
 * The database the insight reads: the file itself (read only), or for a shared PostgreSQL
 * greylist a copy made on this machine for the run (see PgReplica), deleted afterwards.
 */
async function withInsightDatabase(db: string, work: (store: SqliteStore) => Promise<void>): Promise<void> {
  if (!isDatabaseUrl(db)) return withFileStore(db, work, true);
  const shared = await PgStore.open(db);
  try {
    const copy = await PgReplica.open(shared.sql, (line) => process.stderr.write(`${line}\n`));
    try {
      await work(new SqliteStore(copy.db));
    } finally {
      await copy.close();
    }
  } finally {
    await shared.close();
  }
}

export function suspectsCommand(): Command {
  return new Command('suspects')
    .description('list the mail greylisting is about to lose, most credible first')
    .addOption(dbOption())
    .option('--all', 'also closed windows and spam-like suspects of low credibility')
    .addOption(jsonOption())
    .addHelpText('after', CLASS_HELP)
    .action(async (options: { db: string; all?: boolean; json?: boolean }) => {
      await withInsightDatabase(options.db, async (store) => {
        const suspects = await new SuspectModel(store.db, store).suspects(nowSeconds(), { all: options.all ?? false });
        if (options.json) await streamJson(suspects);
        else printSuspects(suspects);
      });
    });
}
