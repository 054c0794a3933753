import { afterEach, describe, expect, it } from 'vitest';
import { SuspectModel } from '../main/insight/suspect-model.js';
import { findSuspects } from '../main/insight/suspects.js';
import { AdminQueries } from '../main/store/admin-queries.js';
import { openDatabase } from '../main/store/database.js';
import { InsightQueries } from '../main/store/insight-queries.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { filterOnTempDatabase } from './support/filter-world.js';
import { askOnce, rcpt } from './support/policy-client.js';
import { suspectsFromLog } from './support/suspects-from-log.js';
import { runTraffic, seededRandom } from './support/traffic-generator.js';

const T0 = 1_800_000_000;
const HOUR = 3600;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real filter on a temporary database, the administration's connection, and a model on a read-only one (the insight thread's way). */
async function world() {
  const { db, admin, clock, running, endpoint } = await filterOnTempDatabase('greyward-model-', T0, cleanups);
  const reader = new SqliteStore(openDatabase(db, { readonly: true }));
  cleanups.push(() => reader.close());
  const model = new SuspectModel(reader.db, reader);
  const queries = new InsightQueries(admin.db);
  /** The kept model, a model built now, and the whole log through the row classifier, for the default list and for all. */
  const compare = async (now = clock.now) => {
    await running.service.settle();
    for (const query of [{ all: true }, {}, { limit: 3 }]) {
      const kept = await model.list(now, query);
      const fresh = await findSuspects({ db: reader.db, store: reader }, now, query);
      const fromLog = await suspectsFromLog(queries, admin, now, query);
      expect(kept).toEqual(fromLog);
      expect(fresh).toEqual(fromLog);
    }
    return model.list(now, { all: true });
  };
  return { db, admin, clock, running, endpoint, compare };
}

const clients = [
  { address: '192.0.2.10', name: 'mx1.pool.provider.example' },
  { address: '192.0.2.11', name: 'mx2.pool.provider.example' },
  { address: '198.51.100.20', name: 'mx3.pool.provider.example' },
  { address: '203.0.113.5', name: 'unknown' },
  { address: '2001:db8:1::25', name: 'mx6.pool.provider.example' },
  { address: '2001:db8:2::25', name: 'unknown' },
  { address: '198.18.0.9', name: 'mail.sender3.example' },
];
const senders = ['alice@sender1.example', 'bob@news.sender1.example', 'carol@sender2.example', 'news@sender3.example', 'bounce+x7@lists.sender3.example', ''];
const recipients = ['u1@example.net', 'u2@example.net', 'postmaster@example.net'];

describe('the waiting-mail model, kept up to date', () => {
  it('equals the suspects computed from the whole log after every step of random traffic, edits, list changes and time', { timeout: 120_000 }, async () => {
    let classes = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const w = await world();
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const queries = new AdminQueries(w.admin.db);
      for (let step = 0; step < 60; step++) {
        const roll = random();
        if (roll < 0.55) {
          // Arrivals and retries: the same few senders, recipients and clients, so that mails retry, rotate and pass.
          const attempts = 1 + Math.floor(random() * 4);
          for (let i = 0; i < attempts; i++) {
            const client = pick(clients);
            await askOnce(w.endpoint, rcpt({ client_address: client.address, client_name: client.name, reverse_client_name: client.name, sender: pick(senders), recipient: pick(recipients) }));
            w.clock.now += pick([0, 1, 5, 10, 30]);
          }
        } else if (roll < 0.8) {
          w.clock.now += pick([60, 300, 900, 2 * HOUR, 20 * HOUR, 50 * HOUR]);
        } else if (roll < 0.87) {
          const waiting = w.admin.db.prepare('SELECT id FROM triplets WHERE passed_at IS NULL').pluck().all() as number[];
          if (waiting.length > 0) queries.passTripletsNow([pick(waiting)], w.clock.now);
        } else if (roll < 0.94) {
          const client = pick(clients);
          const entry = random() < 0.5 ? { kind: 'client-address' as const, pattern: client.address } : { kind: 'sender-domain' as const, pattern: 'sender2.example' };
          await w.admin.addEntries([{ list: pick(['allow', 'deny'] as const), ...entry, comment: '', source: 'test', expiresAt: random() < 0.5 ? w.clock.now + HOUR : null }], w.clock.now);
          await w.running.service.reload();
        } else {
          await w.admin.setSetting('delay', pick([60, 300, 600]), w.clock.now);
          await w.running.service.reload();
        }
        const listed = await w.compare();
        for (const s of listed) classes = new Set([...classes, ...s.classes]);
      }
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }
    expect([...classes]).toEqual(expect.arrayContaining(['early-then-gone', 'never-retried', 'pool-rotation', 'family-switch']));
  });

  it('equals the suspects from the whole log at every hour of the seeded traffic with every class', { timeout: 120_000 }, async () => {
    const w = await world();
    let seen = new Set<string>();
    await runTraffic({
      endpoint: w.endpoint,
      clock: w.clock,
      start: T0,
      settle: () => w.running.service.settle(),
      checkpoint: {
        every: HOUR,
        run: async (now) => {
          for (const s of await w.compare(now)) seen = new Set([...seen, ...s.classes]);
        },
      },
    });
    expect([...seen].sort()).toEqual(['early-then-gone', 'family-switch', 'hammering', 'never-retried', 'pool-rotation']);
  });
});
