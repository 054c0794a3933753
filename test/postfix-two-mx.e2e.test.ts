// Two MX hosts, one greylist, end to end: two private Postfix instances, each asking its own
// `greyward filter` process, both filters on one throw-away PostgreSQL database.
//
//   MX1: Postfix 1 --check_policy_service inet:127.0.0.1:PORT1--> filter --name mx1 --+
//                                                                                      +--> PostgreSQL
//   MX2: Postfix 2 --check_policy_service inet:127.0.0.1:PORT2--> filter --name mx2 --+
//
// A sender deferred at MX1 retries at MX2, as senders do: MX2 accepts the retry once the delay
// has run out, because it sees the first attempt MX1 recorded. Both filters run on this machine
// and so share a host name; --name tells their attempts apart in the database.
//
// Real waiting: the delay is 3 s and Greyward compares whole seconds, so a retry sent 3.3 s
// after the first attempt returned is always past the delay.
//
// Needs root, Debian's postfix, swaks and PostgreSQL; without them the suite fails under CI=true
// and is skipped otherwise. Build first (`npx tsc -b`): the filters run from out/.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greywardOk as greyward, startDaemon, type DaemonProcess } from './support/greyward-process.js';
import { postgresAvailability, startPgCluster, type PgCluster } from './support/pg-cluster.js';
import { postfixAvailable, startPostfix, type PostfixInstance } from './support/postfix.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { rcptReply, sendMail, swaksAvailable } from './support/swaks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT_CLI = path.join(ROOT, 'out', 'main', 'cli', 'index.js');
const DELAY_S = 3;
const RETRY_AFTER_MS = DELAY_S * 1000 + 300;

const missing = missingOf([postfixAvailable(), swaksAvailable(), postgresAvailability()]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Mx {
  name: string;
  filter: DaemonProcess;
  postfix: PostfixInstance;
}

describe('two MX hosts, each with its own Postfix and filter, sharing one PostgreSQL greylist', () => {
  if (!prerequisitesMet(missing)) return;

  let cluster: PgCluster | undefined;
  let url = '';
  let sql: postgres.Sql | undefined;
  const filters: DaemonProcess[] = [];
  const postfixes: PostfixInstance[] = [];
  let mx1: Mx | undefined;
  let mx2: Mx | undefined;

  const debug = (): string =>
    [mx1, mx2]
      .filter((mx): mx is Mx => mx !== undefined)
      .map((mx) => `\n--- ${mx.name} Postfix maillog\n${mx.postfix.mailLog()}--- ${mx.name} filter stderr\n${mx.filter.stderr()}`)
      .join('');

  const attempts = async () =>
    (await sql!`SELECT filter, client_address, sender, recipient, action, reason, attempt_number FROM attempt_view ORDER BY id`).map((row) => ({ ...row }));

  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} missing: run \`npx tsc -b\` before this suite`);
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    sql = postgres(url, { max: 1, onnotice: () => undefined });
    await greyward('settings', 'set', 'delay', `${DELAY_S}s`, '--db', url);

    const host = async (name: string): Promise<Mx> => {
      const filter = await startDaemon(['--db', url, '--listen', '127.0.0.1:0', '--name', name]);
      filters.push(filter);
      const address = /^ready tcp=(127\.0\.0\.1:\d+)$/.exec(filter.readyLine)?.[1];
      if (!address) throw new Error(`unexpected ready line ${JSON.stringify(filter.readyLine)}`);
      const postfix = await startPostfix({ policyService: `inet:${address}` });
      postfixes.push(postfix);
      return { name, filter, postfix };
    };
    const results = await Promise.allSettled([host('mx1'), host('mx2')]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
    [mx1, mx2] = results.map((result) => (result as PromiseFulfilledResult<Mx>).value);
  });

  afterAll(async () => {
    // Postfix first (its smtpd processes hold policy connections), then the filters, then the
    // database they write to; all by PID.
    await Promise.all(postfixes.map((p) => p.stop()));
    await Promise.all(filters.map((f) => f.stop()));
    await sql?.end({ timeout: 5 });
    await cluster?.destroy();
  });

  it('defers a new sender at MX1 and accepts and delivers its retry at MX2 after the delay; the database says which filter decided each', async () => {
    const mail = { from: 'alice@example.org', to: 'bob@greyward.test' };

    const first = await sendMail({ ...mail, port: mx1!.postfix.smtpPort });
    const firstDone = Date.now();
    const firstRcpt = rcptReply(first.transcript);
    expect(firstRcpt?.code, first.transcript + debug()).toBe(450);
    expect(firstRcpt?.text).toBe(`4.7.1 <bob@greyward.test>: Recipient address rejected: Greylisted, try again in ${DELAY_S} seconds`);
    expect(first.exitCode).toBe(24); // swaks: no recipient accepted
    // MX2 can only know of the first attempt once MX1's filter has committed it.
    await expect.poll(attempts, { timeout: 5000 }).toHaveLength(1);

    await sleep(firstDone + RETRY_AFTER_MS - Date.now());
    const second = await sendMail({ ...mail, port: mx2!.postfix.smtpPort });
    expect(rcptReply(second.transcript)?.code, second.transcript + debug()).toBe(250);
    expect(second.finalCode).toBe(250);
    expect(second.exitCode).toBe(0);

    const [message = ''] = await mx2!.postfix.waitForDelivery(1, 10_000);
    expect(message).toMatch(/^Delivered-To: bob@greyward\.test$/m);
    const headers = message.split(/\r?\n\r?\n/)[0] ?? '';
    // Delayed since the first attempt at MX1, not since MX2 first heard of the sender.
    expect(headers.match(/^X-Greylist: .*$/gm), headers).toEqual([expect.stringMatching(/^X-Greylist: delayed [34] seconds by Greyward-\d+\.\d+\.\d+; /)]);
    expect(mx1!.postfix.deliveredMessages()).toEqual([]);

    const envelope = { client_address: '127.0.0.1', sender: 'alice@example.org', recipient: 'bob@greyward.test' };
    await expect.poll(attempts, { timeout: 5000 }).toHaveLength(2);
    expect(await attempts(), debug()).toEqual([
      { filter: 'mx1', ...envelope, action: 'defer', reason: 'new', attempt_number: 1 },
      { filter: 'mx2', ...envelope, action: 'pass', reason: 'passed', attempt_number: 2 },
    ]);
    // Each Postfix asked its own filter only (a decision line follows its commit).
    await expect.poll(() => mx2!.filter.decisions().map((d) => d.action)).toEqual(['pass']);
    expect(mx1!.filter.decisions().map((d) => d.action)).toEqual(['defer']);
    for (const { filter } of [mx1!, mx2!]) expect(filter.stderr()).not.toMatch(/^(error|warning):/m);
  });
});
