// Mail at risk on a greylist two MX hosts share: the workstation's screens find the senders
// greylisting is about to lose whichever host deferred them, and a fix made there applies at
// both hosts. Real filters on a throw-away PostgreSQL cluster, a clock the test moves.

import { describe, expect, it } from 'vitest';
import type { Suspect } from '../shared/contract.js';
import { openAdminSession } from '../main/api/admin-session.js';
import { dispatch } from '../main/api/dispatch.js';
import { startFilter } from '../main/filter/daemon.js';
import { quietLog } from '../main/filter/log.js';
import { PgStore } from '../main/store/postgres/pg-store.js';
import { sharedDatabaseView } from '../main/supervisor/shared-database-view.js';
import { postgresAvailability, suiteCluster } from './support/pg-cluster.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { greywardOk } from './support/greyward-process.js';
import { retryNow, runTraffic, type PlantedSender } from './support/traffic-generator.js';

const T0 = 1_800_000_000;
const HOUR = 3600;
const keyOf = (s: { sender: string; recipient: string }) => `${s.sender} ${s.recipient}`;

describe('mail at risk on a shared greylist', () => {
  if (!prerequisitesMet(missingOf([postgresAvailability()]))) return;
  const { cluster, cleanups } = suiteCluster();

  it('lists the senders at risk deferred at either host, and a fix chosen on the workstation lets the next retry pass at the other host', { timeout: 90_000 }, async () => {
    const url = await cluster().createDatabase();
    const clock = { now: T0 };
    const host = async (name: string) => {
      const running = await startFilter({ db: url, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now, filterName: name });
      cleanups.push(() => running.stop());
      return { running, endpoint: { port: Number(running.endpoints.tcp!.split(':').at(-1)) } };
    };
    const mx1 = await host('mx1');
    const mx2 = await host('mx2');
    const settle = async () => {
      await mx1.running.service.settle();
      await mx2.running.service.settle();
    };
    const mix = { honest: 2, 'early-then-gone': 2, 'never-retried': 0, 'pool-rotation': 1, 'family-switch': 0, hammering: 0, 'pool-healed': 0 };
    const atMx1 = await runTraffic({ endpoint: mx1.endpoint, clock, start: T0, settle, mix, spread: HOUR, until: T0 + 2 * HOUR, seed: 1 });
    // An Exchange-like sender deferred at the other host: three quick tries, then silence.
    const exchange: PlantedSender = { pattern: 'early-then-gone', sender: 'orders@supplier.example', recipient: 'buyer@example.net', firstAt: clock.now, clients: [], sent: [], passed: false };
    const client = { address: '198.51.100.25', name: 'unknown' };
    for (const wait of [0, 5, 15]) {
      clock.now += wait;
      expect(await retryNow(mx2.endpoint, exchange, client)).toMatch(/^DEFER_IF_PERMIT/);
    }
    await settle();
    clock.now += HOUR;

    const admin = await PgStore.open(url);
    const session = await openAdminSession({ store: admin, supervisor: sharedDatabaseView('test'), emit: () => undefined, clock: () => clock.now });
    cleanups.push(() => session.close());
    const call = async <T>(name: string, payload: unknown): Promise<T> => {
      const outcome = await dispatch(session.handlers, name, payload);
      if (!outcome.ok) throw new Error(`${name}: ${outcome.error.message}`);
      return outcome.value as T;
    };

    const listed = await call<Suspect[]>('suspects.list', {});
    const planted = atMx1.filter((s) => s.pattern === 'early-then-gone' || s.pattern === 'pool-rotation');
    for (const sender of [...planted, exchange]) expect(listed.map(keyOf), keyOf(sender)).toContain(keyOf(sender));
    for (const honest of atMx1.filter((s) => s.pattern === 'honest')) expect(listed.map(keyOf)).not.toContain(keyOf(honest));
    const atRisk = listed.find((s) => keyOf(s) === keyOf(exchange))!;
    expect(atRisk.primary).toBe('early-then-gone');
    // The evidence says which host deferred each attempt.
    expect(atRisk.evidence.map((attempt) => `${attempt.filter} ${attempt.action} ${attempt.reason}`)).toEqual(['mx2 defer new', 'mx2 defer early', 'mx2 defer early']);

    expect(await call('suspects.fix', { tripletIds: atRisk.tripletIds, fix: 'pass-now', dryRun: false })).toMatchObject({ applied: true });
    expect((await call<Suspect[]>('suspects.list', {})).map(keyOf)).not.toContain(keyOf(exchange));
    // Decided at mx2, passed from the workstation: its retry passes at mx1.
    clock.now += 60;
    expect(await retryNow(mx1.endpoint, exchange, client)).toBe('DUNNO');

    // New traffic after the screens opened shows up in the next read.
    const late: PlantedSender = { ...exchange, sender: 'invoices@supplier.example', firstAt: clock.now };
    for (const wait of [0, 5, 15]) {
      clock.now += wait;
      expect(await retryNow(mx1.endpoint, late, client)).toMatch(/^DEFER_IF_PERMIT/);
    }
    await settle();
    clock.now += HOUR;
    expect((await call<Suspect[]>('suspects.list', {})).map(keyOf)).toContain(keyOf(late));
  });

  it('greyward suspects --db URL lists them from a copy made for the run', { timeout: 60_000 }, async () => {
    const url = await cluster().createDatabase();
    // Three hours ago by the filter's clock: the command judges by the real one.
    const clock = { now: Math.floor(Date.now() / 1000) - 3 * HOUR };
    const running = await startFilter({ db: url, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now, filterName: 'mx1' });
    cleanups.push(() => running.stop());
    const endpoint = { port: Number(running.endpoints.tcp!.split(':').at(-1)) };
    const exchange: PlantedSender = { pattern: 'early-then-gone', sender: 'orders@supplier.example', recipient: 'buyer@example.net', firstAt: clock.now, clients: [], sent: [], passed: false };
    for (const wait of [0, 5, 15]) {
      clock.now += wait;
      expect(await retryNow(endpoint, exchange, { address: '198.51.100.25', name: 'unknown' })).toMatch(/^DEFER_IF_PERMIT/);
    }
    await running.service.settle();
    const printed = JSON.parse(await greywardOk('suspects', '--db', url, '--json')) as Suspect[];
    expect(printed.map((s) => `${keyOf(s)} ${s.primary}`)).toEqual([`${keyOf(exchange)} early-then-gone`]);
  });
});
