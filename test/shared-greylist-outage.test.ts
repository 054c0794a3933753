// The shared database down must not stop mail: a filter on PostgreSQL answers per failMode at
// once while the server is stopped, says so once, and greylists again once it is back.
// A throw-away cluster of its own, stopped and started by its PID under load.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../main/store/postgres/pg-store.js';
import { startDaemon, type DaemonProcess } from './support/greyward-process.js';
import { startPgCluster, postgresAvailability, type PgCluster } from './support/pg-cluster.js';
import { askOnce, PolicyClient, rcpt } from './support/policy-client.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';

const DEFER = /^DEFER_IF_PERMIT 4\.7\.1 Greylisted/;

describe('a filter on PostgreSQL while the server is down', () => {
  if (!prerequisitesMet(missingOf([postgresAvailability()]))) return;
  let cluster: PgCluster;
  let filter: DaemonProcess | undefined;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await filter?.stop();
    await cluster?.destroy();
  });

  it('answers per failMode at once, says so once, loses nothing committed, and greylists again once the server is back', { timeout: 90_000 }, async () => {
    const url = await cluster.createDatabase();
    filter = await startDaemon(['--db', url, '--listen', '127.0.0.1:0']);
    const { port } = filter;
    let phase: 'up' | 'down' | 'back' | 'done' = 'up';
    const replies = { up: new Map<string, number>(), down: new Map<string, number>(), back: new Map<string, number>() };
    const slowest = { up: 0, down: 0, back: 0 };
    let n = 0;
    const load = Array.from({ length: 4 }, async () => {
      const client = await PolicyClient.connect({ port });
      while (phase !== 'done') {
        const asked = phase;
        const started = performance.now();
        const reply = await client.ask(rcpt({ sender: `load${n++}@example.com` }));
        slowest[asked] = Math.max(slowest[asked], performance.now() - started);
        const kind = DEFER.test(reply) ? 'defer' : reply;
        replies[asked].set(kind, (replies[asked].get(kind) ?? 0) + 1);
      }
      client.close();
    });
    await expect.poll(() => replies.up.get('defer') ?? 0, { timeout: 10_000 }).toBeGreaterThan(300);

    const before = await PgStore.open(url);
    const committed = (await before.sql`SELECT count(*) AS n FROM triplets`)[0]!.n as number;
    await before.close();
    phase = 'down';
    await cluster.stopServer();
    await expect.poll(() => replies.down.get('DUNNO') ?? 0, { timeout: 10_000 }).toBeGreaterThan(500);
    await cluster.startServer();
    phase = 'back';
    await expect.poll(() => replies.back.get('defer') ?? 0, { timeout: 20_000 }).toBeGreaterThan(100);
    phase = 'done';
    await Promise.all(load);

    // While down: nothing but failMode's answer (open: DUNNO), none kept waiting on the dead connection.
    expect([...replies.down.keys()].filter((kind) => kind !== 'DUNNO' && kind !== 'defer')).toEqual([]);
    console.log(`slowest answer: up ${slowest.up.toFixed(0)} ms, down ${slowest.down.toFixed(0)} ms, back ${slowest.back.toFixed(0)} ms; answers while down: ${JSON.stringify([...replies.down])}`);
    expect(slowest.down).toBeLessThan(1000);
    const log = filter.stderr();
    expect(log.match(/without greylisting until it is back/g)).toHaveLength(1);
    expect(log).toMatch(/the database can be reached again; greylisting resumes \(\d+ requests were answered DUNNO meanwhile, unrecorded\)/);
    expect(await askOnce({ port }, rcpt({ sender: 'after@example.com' }))).toMatch(DEFER);

    const after = await PgStore.open(url);
    expect((await after.sql`SELECT count(*) AS n FROM triplets`)[0]!.n).toBeGreaterThanOrEqual(committed);
    await after.close();
  });
});
