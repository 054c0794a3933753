// One suite, two stores: what the filter and the administrators rely on holds for a database
// file (SQLite) and for a shared PostgreSQL database alike. PostgreSQL is a throw-away cluster.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsRefused } from '../shared/settings-change.js';
import { openDatabase } from '../main/store/database.js';
import type { AdminStore, DecisionWrite, FilterStore, TripletState } from '../main/store/greylist-store.js';
import { InvalidEntriesError } from '../main/store/list-entry-rows.js';
import { PgStore } from '../main/store/postgres/pg-store.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { startPgCluster, postgresAvailability, type PgCluster } from './support/pg-cluster.js';
import { missingOf, prerequisitesMet } from './support/prerequisites.js';
import { tempDirs } from './support/temp-dirs.js';

type Store = FilterStore & AdminStore;

interface Implementation {
  name: string;
  available: () => string[];
  /** A new, empty database; the same `place` opens the same database again. */
  place(): Promise<string>;
  open(place: string): Promise<Store>;
  count(store: Store, table: 'triplets' | 'attempts' | 'client_passes'): Promise<number>;
  /** Marks the database as written by a newer Greyward. */
  makeFuture(store: Store): Promise<void>;
}

let cluster: PgCluster | undefined;
const tempDir = tempDirs('greyward-contract-');

const implementations: Implementation[] = [
  {
    name: 'SQLite',
    available: () => [],
    place: async () => `${tempDir()}/greyward.db`,
    open: async (place) => new SqliteStore(openDatabase(place)),
    count: async (store, table) => (store as SqliteStore).db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number,
    makeFuture: async (store) => void (store as SqliteStore).db.pragma('user_version = 999'),
  },
  {
    name: 'PostgreSQL',
    available: () => missingOf([postgresAvailability()]),
    place: async () => cluster!.createDatabase(),
    open: (place) => PgStore.open(place),
    count: async (store, table) => (await (store as PgStore).sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0]!.n as number,
    makeFuture: async (store) => void (await (store as PgStore).sql`UPDATE meta SET value = 999 WHERE key = 'schema_version'`),
  },
];

const key = { clientGroup: '192.0.2.0/24', sender: 'a@example.com', recipient: 'b@example.net' };
const fresh = (at: number): TripletState => ({ firstSeen: at, lastSeen: at, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 });
const attempt = (at: number, overrides: Partial<DecisionWrite['attempt']> = {}): DecisionWrite['attempt'] => ({
  at,
  clientAddress: '192.0.2.1',
  clientName: 'mail.example.com',
  helo: 'mail.example.com',
  sender: key.sender,
  recipient: key.recipient,
  queueId: 'Q1',
  action: 'defer',
  reason: 'new',
  rule: `triplet ${key.clientGroup} ${key.sender} ${key.recipient}`,
  delay: 300,
  ...overrides,
});

for (const implementation of implementations) {
  describe(`the ${implementation.name} store`, () => {
    if (!prerequisitesMet(implementation.available())) return;
    const stores: Store[] = [];
    const open = async (place?: string) => {
      const store = await implementation.open(place ?? (await implementation.place()));
      stores.push(store);
      return store;
    };
    beforeAll(async () => {
      if (implementation.name === 'PostgreSQL') cluster = await startPgCluster();
    });
    afterAll(async () => {
      for (const store of stores) await store.close().catch(() => undefined);
      if (implementation.name === 'PostgreSQL') await cluster?.destroy();
    });

    it('commits a batch of decisions all or nothing, and reads the triplet and the client back', async () => {
      const store = await open();
      const clientPasses = { client: '192.0.2.1', passes: 1, lastCountedAt: 10, lastSeen: 10 };
      await store.commit([{ attempt: attempt(10), triplet: { key, state: fresh(10) }, clientPasses }]);
      const found = await store.findGreylistState(key, '192.0.2.1');
      expect(found.triplet).toEqual(fresh(10));
      expect(found.clientPasses).toEqual(clientPasses);
      const retry = { ...fresh(10), lastSeen: 20, attempts: 2, earlyAttempts: 1 };
      const broken = { attempt: { ...attempt(21), action: null as never } };
      await expect(store.commit([{ attempt: attempt(20), triplet: { key, state: retry, from: fresh(10) } }, broken])).rejects.toThrow();
      expect((await store.findGreylistState(key, '192.0.2.1')).triplet).toEqual(fresh(10));
      expect(await implementation.count(store, 'attempts')).toBe(1);
      await store.commit([{ attempt: attempt(20), triplet: { key, state: retry, from: fresh(10) } }]);
      expect((await store.findGreylistState(key, '192.0.2.1')).triplet).toEqual(retry);
      expect(await store.findGreylistState({ ...key, sender: 'other@example.com' }, '192.0.2.9')).toEqual({ triplet: undefined, clientPasses: undefined });
    });

    it('allows mail to postmaster@ and abuse@ from the start, marked as defaults', async () => {
      const store = await open();
      expect((await store.listEntries()).map((entry) => `${entry.list} ${entry.kind} ${entry.pattern}`)).toEqual(
        expect.arrayContaining(['allow recipient-user postmaster@', 'allow recipient-user abuse@']),
      );
    });

    it('adds all entries of a batch or none, naming each bad one, and counts duplicates', async () => {
      const store = await open();
      const before = (await store.listEntries()).length;
      const error = await store
        .addEntries(
          [
            { list: 'allow', kind: 'client-address', pattern: '198.51.100.0/24' },
            { list: 'allow', kind: 'client-address', pattern: '198.51.100.0/33' },
            { list: 'deny', kind: 'sender-domain', pattern: '' },
          ],
          100,
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidEntriesError);
      expect((error as InvalidEntriesError).problems.map((p) => p.index)).toEqual([1, 2]);
      expect(await store.listEntries()).toHaveLength(before);
      const added = await store.addEntries(
        [
          { list: 'allow', kind: 'client-address', pattern: '198.51.100.0/24', comment: 'partner' },
          { list: 'allow', kind: 'client-address', pattern: '198.51.100.0/24' },
          { list: 'deny', kind: 'sender-domain', pattern: 'Spam.Example' },
        ],
        100,
      );
      expect(added).toEqual({ added: 2, duplicates: 1 });
      expect(await store.listEntries({ list: 'deny' })).toMatchObject([{ kind: 'sender-domain', pattern: 'spam.example', createdAt: 100 }]);
    });

    it('edits an entry with the checks of a new one, refuses a pattern another entry has, finds by pattern or comment in any case, and removes by id', async () => {
      const store = await open();
      await store.addEntries(
        [
          { list: 'allow', kind: 'client-address', pattern: '192.0.2.10', comment: 'Partner relay' },
          { list: 'allow', kind: 'client-address', pattern: '192.0.2.9' },
        ],
        100,
      );
      const [ten] = await store.listEntries({ search: 'PARTNER' });
      expect(ten).toMatchObject({ pattern: '192.0.2.10', comment: 'Partner relay' });
      await expect(store.editEntry(ten!.id, { pattern: '192.0.2.300' }, 100)).rejects.toThrow(/192\.0\.2\.300/);
      await expect(store.editEntry(ten!.id, { pattern: '192.0.2.9' }, 100)).rejects.toThrow(/already on the allow list/);
      const edited = await store.editEntry(ten!.id, { comment: 'relay of the partner', expiresAt: 5000 }, 100);
      expect(edited).toMatchObject({ id: ten!.id, pattern: '192.0.2.10', comment: 'relay of the partner', expiresAt: 5000 });
      // Addresses sort as addresses: .9 before .10.
      expect((await store.listEntries({ search: '192.0.2.' })).map((entry) => entry.pattern)).toEqual(['192.0.2.9', '192.0.2.10']);
      expect(await store.listEntries({ search: '100%' })).toEqual([]);
      expect(await store.removeEntries([ten!.id, 999_999])).toBe(1);
      expect((await store.listEntries({ search: '192.0.2.' })).map((entry) => entry.pattern)).toEqual(['192.0.2.9']);
    });

    it('moves the policy version for list and setting changes, not for hit counts, and reads them back as one snapshot', async () => {
      const store = await open();
      const v0 = await store.policyVersion();
      await store.addEntries([{ list: 'allow', kind: 'client-name', pattern: 'example.com' }], 1);
      const v1 = await store.policyVersion();
      expect(v1).toBeGreaterThan(v0);
      const entry = (await store.listEntries({ search: 'example.com' }))[0]!;
      await store.commit([{ attempt: attempt(5, { action: 'allow', reason: 'allow-list', rule: 'allow client-name example.com' }), listHit: { entryId: entry.id, at: 5 } }]);
      expect(await store.policyVersion()).toBe(v1);
      expect((await store.listEntries({ search: 'example.com' }))[0]).toMatchObject({ hits: 1, lastHitAt: 5 });
      await store.setSetting('delay', 60, 1);
      expect(await store.policyVersion()).toBeGreaterThan(v1);
      const policy = await store.readPolicy();
      expect(policy.settings.delay).toBe(60);
      expect(policy.lists.allow.count).toBe((await store.listEntries({ list: 'allow' })).length);
    });

    it('refuses settings that do not work together and writes nothing; a reset brings the default back', async () => {
      const store = await open();
      await expect(store.changeSettings({ delay: 7200, retryWindow: 3600 }, [], 1)).rejects.toBeInstanceOf(SettingsRefused);
      expect(await store.storedSettings()).toEqual({});
      await store.changeSettings({ delay: 120 }, [], 1);
      expect(await store.storedSettings()).toEqual({ delay: 120 });
      await store.changeSettings({}, ['delay'], 2);
      expect(await store.storedSettings()).toEqual({});
    });

    it('expires in bounded slices: waiting triplets a day after their window, passed ones after max age, the log after its retention', async () => {
      const store = await open();
      const day = 86_400;
      const writes = Array.from({ length: 30 }, (_, i) => ({
        attempt: attempt(i < 10 ? 0 : 100 * day, { recipient: `r${i}@example.net` }),
        triplet: {
          key: { ...key, recipient: `r${i}@example.net` },
          state: { ...fresh(i < 20 ? 0 : 100 * day), passedAt: i < 10 ? null : 0 },
        },
      }));
      await store.commit(writes);
      const limits = { now: 100 * day, settings: { retryWindow: 2 * day, maxAge: 35 * day, logRetention: 35 * day }, batch: 4 };
      const first = await store.expire(limits);
      expect(first).toBeLessThanOrEqual(4 * 4);
      let total = first;
      for (let n = await store.expire(limits); n > 0; n = await store.expire(limits)) total += n;
      expect(await implementation.count(store, 'triplets')).toBe(10);
      expect(await implementation.count(store, 'attempts')).toBe(20);
      expect(total).toBe(20 + 10);
    });

    it('opens a database it made again without changing it, and refuses one from a newer Greyward, changing nothing', async () => {
      const place = await implementation.place();
      const store = await open(place);
      await store.addEntries([{ list: 'deny', kind: 'sender-domain', pattern: 'spam.example' }], 1);
      await store.close();
      const again = await open(place);
      expect((await again.listEntries({ list: 'deny' })).map((entry) => entry.pattern)).toEqual(['spam.example']);
      await implementation.makeFuture(again);
      await again.close();
      const refused = await implementation.open(place).catch((error: unknown) => error);
      expect((refused as Error).message).toMatch(/written by a newer Greyward \(schema version 999; .*nothing was changed/);
    });
  });
}
