import { Command } from 'commander';
import type { Suspect } from '../../shared/insight-contract.js';
import { CLASSIFICATION_RULES } from '../insight/classify.js';
import { humanDuration } from '../insight/domains.js';
import { findSuspects } from '../insight/suspects.js';
import { InsightQueries } from '../store/insight-queries.js';
import { dbOption, formatTable, jsonOption, nowSeconds, printJson, withStore } from './options.js';

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

function printSuspects(suspects: Suspect[]): void {
  if (suspects.length === 0) return void process.stdout.write('no mail at risk\n');
  const rows = [['CLASS', 'CRED', 'SENDER', 'RECIPIENT', 'CLIENTS', 'ATTEMPTS', 'LEFT', 'EVIDENCE']];
  for (const s of suspects) {
    rows.push([s.classes.join(','), s.credibility.toFixed(2), s.sender, s.recipient, clients(s), String(s.attempts), timeLeft(s), s.summary]);
  }
  process.stdout.write(formatTable(rows));
}

export function suspectsCommand(): Command {
  return new Command('suspects')
    .description('list the mail greylisting is about to lose, most credible first')
    .addOption(dbOption())
    .option('--all', 'also closed windows and spam-like suspects of low credibility')
    .addOption(jsonOption())
    .addHelpText('after', CLASS_HELP)
    .action(async (options: { db: string; all?: boolean; json?: boolean }) => {
      const suspects = await withStore(
        options.db,
        (store) => findSuspects({ queries: new InsightQueries(store.db), store }, nowSeconds(), { all: options.all ?? false }),
        true,
      );
      if (options.json) printJson(suspects);
      else printSuspects(suspects);
    });
}
