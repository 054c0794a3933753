import { afterEach, describe, expect, it } from 'vitest';
import { clientGroup } from '../shared/net.js';
import { Grouping } from '../main/insight/client-grouping.js';
import { replayImpact } from '../main/insight/impact.js';
import { impactScanOptions, inlineInsightReads } from '../main/insight/insight-reads.js';
import { parseTripletRule } from '../main/store/compact-log.js';
import { openDatabase } from '../main/store/database.js';
import { MAIL_KIND, MAIL_REASON_KINDS, scanMails, type MailScanOptions } from '../main/store/mail-scan.js';
import { SqliteStore } from '../main/store/sqlite-store.js';
import { filterOnTempDatabase } from './support/filter-world.js';
import { askOnce, rcpt } from './support/policy-client.js';
import { seededRandom } from './support/traffic-generator.js';

const T0 = 1_800_000_000;
const HOUR = 3600;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CLIENTS = [
  { address: '192.0.2.10', name: 'mx1.pool.provider.example' },
  { address: '192.0.2.11', name: 'mx2.pool.provider.example' },
  { address: '192.0.77.12', name: 'unknown' },
  { address: '198.51.100.20', name: 'mx3.pool.provider.example' },
  { address: '2001:db8:1::25', name: 'mx6.pool.provider.example' },
  { address: '2001:db8:1:0:ffff::26', name: 'unknown' },
  { address: '2001:db8:2::25', name: 'unknown' },
  { address: '::ffff:192.0.2.12', name: 'mapped.provider.example' },
];
const SENDERS = ['Alice@Sender1.example', 'alice@sender1.example', 'bob+tag@news.sender1.example', 'bob@news.sender1.example', 'carol@sender2.example', ''];
const RECIPIENTS = ['u1@example.net', 'U1@Example.NET', 'postmaster@example.net'];

/** The real filter on a temporary database, fed seeded traffic in steps; some waiting triplets expire, the log stays. */
async function world(seed: number) {
  const { db, admin, clock, running, endpoint } = await filterOnTempDatabase('greyward-impact-scan-', T0, cleanups);
  await admin.changeSettings({ autoAllowAfter: 2 }, [], clock.now);
  await admin.addEntries([{ list: 'grey', kind: 'client-address', pattern: '192.0.2.0/24', comment: '', source: 'test', expiresAt: null }], clock.now);
  await admin.addEntries([{ list: 'grey', kind: 'recipient-domain', pattern: 'example.net', comment: '', source: 'test', expiresAt: T0 + 30 * HOUR }], clock.now);
  await running.service.reload();
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const steps = async (count: number) => {
    for (let step = 0; step < count; step++) {
      const roll = random();
      if (roll < 0.6) {
        const client = pick(CLIENTS);
        await askOnce(endpoint, rcpt({ client_address: client.address, client_name: client.name, reverse_client_name: client.name, sender: pick(SENDERS), recipient: pick(RECIPIENTS) }));
        clock.now += pick([0, 1, 30, 120]);
      } else if (roll < 0.85) {
        clock.now += pick([60, 300, 900, 2 * HOUR, 20 * HOUR]);
      } else if (roll < 0.92) {
        // Expiry the filter does on its own schedule: the triplet goes, its attempts stay.
        await running.service.settle();
        admin.db.prepare('DELETE FROM triplets WHERE id IN (SELECT id FROM triplets WHERE passed_at IS NULL ORDER BY random() LIMIT 1)').run();
      } else {
        await running.service.settle();
        await admin.setSetting('mode', pick(['everyone', 'grey-list-only'] as const), clock.now);
        await running.service.reload();
      }
    }
    await running.service.settle();
  };
  return { db, admin, clock, steps };
}

/** The log read the plain way, through the views' texts: what each scanned row must say. */
function referenceRows(store: SqliteStore, options: MailScanOptions) {
  const { db } = store;
  const live = new Map((db.prepare('SELECT id, sender, recipient FROM triplet_view').raw().all() as Array<[number, string, string]>).map(([id, s, r]) => [id, `${s}\n${r}`]));
  const first = db.prepare('SELECT sender, recipient FROM attempt_view WHERE triplet_id = ? ORDER BY id LIMIT 1').raw();
  const keyOf = (sender: string, recipient: string) => {
    const key = options.mailKey(sender, recipient);
    return `${key.sender}\n${key.recipient}`;
  };
  const rows = db
    .prepare(
      `SELECT at, triplet_id, reason, client_address, client_name, sender, recipient, rule FROM attempt_view
       WHERE at >= ? AND (triplet_id IS NOT NULL OR reason IN ('auto-allowed', 'not-grey-listed')) ORDER BY id`,
    )
    .raw()
    .all(options.since ?? 0) as Array<[number, number | null, string, string, string, string, string, string]>;
  // A row decided on a triplet names its key; one whose rule was kept as text goes by its triplet.
  const tripletMail = (triplet: number, rule: string) => {
    const key = parseTripletRule(rule);
    return key ? `${key.sender}\n${key.recipient}` : (live.get(triplet) ?? keyOf(...(first.get(triplet) as [string, string])));
  };
  return rows.map(([at, triplet, reason, clientAddress, clientName, sender, recipient, rule]) => ({
    at,
    kind: MAIL_REASON_KINDS[reason] ?? MAIL_KIND.retry,
    triplet: triplet ?? 0,
    client: clientAddress,
    mail: triplet === null ? keyOf(sender, recipient) : tripletMail(triplet, rule),
    grey: options.greyListed ? options.greyListed({ clientAddress, clientName, sender, recipient }) : false,
  }));
}

function scannedRows(store: SqliteStore, options: MailScanOptions) {
  const scan = scanMails(store.db, options);
  const rows: Array<{ at: number; kind: number; triplet: number; client: string; mail: number; grey: boolean }> = [];
  for (const chunk of scan.chunks()) {
    for (let i = 0; i < chunk.length; i++) {
      rows.push({ at: chunk.at[i]!, kind: chunk.kinds[i]!, triplet: chunk.triplets[i]!, client: scan.clients[chunk.clients[i]!]!, mail: chunk.mails[i]!, grey: chunk.grey[i] === 1 });
    }
  }
  return rows;
}

/** The scanned rows say what the plain reading says, their mail numbers naming the same mails one to one. */
function expectSameRows(scanned: ReturnType<typeof scannedRows>, reference: ReturnType<typeof referenceRows>) {
  expect(scanned.map(({ mail: _mail, ...row }) => row)).toEqual(reference.map(({ mail: _mail, ...row }) => row));
  const keyOfNumber = new Map<number, string>();
  const numberOfKey = new Map<string, number>();
  scanned.forEach((row, i) => {
    const key = reference[i]!.mail;
    expect([keyOfNumber.get(row.mail) ?? key, numberOfKey.get(key) ?? row.mail]).toEqual([key, row.mail]);
    keyOfNumber.set(row.mail, key);
    numberOfKey.set(key, row.mail);
  });
}

describe('the impact replay reading the compact log', () => {
  it('reads every attempt, its client, mail and grey-list match as the texts of the log say, and a kept copy replays as a fresh read does', { timeout: 120_000 }, async () => {
    const kinds = new Set<number>();
    for (const seed of [1, 2]) {
      const w = await world(seed);
      const reader = new SqliteStore(openDatabase(w.db, { readonly: true }));
      cleanups.push(() => reader.close());
      const reads = inlineInsightReads(reader);
      // Another copy, made ahead of its first preview (as the app's insight thread does), then followed.
      const warmed = inlineInsightReads(reader);
      for (let round = 0; round < 4; round++) {
        while (await warmed.warmImpact());
        await w.steps(60);
        const { settings: current, lists } = await reader.readPolicy();
        const now = w.clock.now;
        for (const [proposal, days] of [
          [{ mode: 'grey-list-only' as const }, undefined],
          [{ clientPrefixV4: 16, clientPrefixV6: 48, autoAllowAfter: 1, autoAllowBy: 'network' as const }, undefined],
          [{ delay: 60, clientPrefixV4: 32, clientPrefixV6: 128 }, 1],
        ] as const) {
          const proposed = { ...current, ...proposal };
          const options = { ...impactScanOptions(current, { ...proposed, mode: 'grey-list-only' }, lists, now), ...(days ? { since: now - days * 86_400 } : {}) };
          const reference = referenceRows(reader, options);
          reference.forEach((row) => kinds.add(row.kind));
          expectSameRows(scannedRows(reader, options), reference);
          expectSameRows(scannedRows(reader, { ...options, greyListedByField: !options.greyListedByField }), reference);
          const fresh = replayImpact(scanMails(reader.db, { ...impactScanOptions(current, proposed, lists, now), ...(days ? { since: now - days * 86_400 } : {}) }), current, proposed, now);
          const kept = await reads.impact({ settings: proposal, ...(days ? { days } : {}), now });
          expect({ ...kept, elapsedMs: 0 }).toEqual({ ...fresh, elapsedMs: 0 });
          const ahead = await warmed.impact({ settings: proposal, ...(days ? { days } : {}), now });
          expect({ ...ahead, elapsedMs: 0 }).toEqual({ ...fresh, elapsedMs: 0 });
        }
      }
    }
    expect([...kinds].sort()).toEqual(Object.values(MAIL_KIND).sort());
  });

  it('groups clients as clientGroup names their networks, whatever the spelling of the address', () => {
    const addresses = [
      '192.0.2.1', '192.0.2.200', '192.0.3.1', '192.1.2.1', '10.0.0.1', '0.0.0.0', '255.255.255.255',
      ' 192.0.2.1', '192.000.2.1', '::ffff:192.0.2.9', '::ffff:c000:20a', '::FFFF:192.0.2.9', '192.0.2.0/24', '192.0.2.9/24',
      '2001:db8::1', '2001:db8:0:0:0:0:0:2', '2001:DB8::3', '2001:db8:0:1::1', '2001:db8:1::1', '2001:db9::1', '2001:0db8::4',
      '::', '::1', '1::', '2001:db8::/64', '2001:db8::1%eth0', 'fe80::1', '::192.0.2.1', 'unknown', '', 'not an address',
    ];
    for (const [v4, v6] of [[24, 64], [16, 48], [32, 128], [8, 16], [31, 127]] as const) {
      const grouping = new Grouping(addresses, v4, v6);
      const names = addresses.map((address) => clientGroup(address, v4, v6));
      for (let a = 0; a < addresses.length; a++) {
        for (let b = 0; b < addresses.length; b++) {
          expect([addresses[a], addresses[b], grouping.group(a) === grouping.group(b)]).toEqual([addresses[a], addresses[b], names[a] === names[b]]);
        }
      }
    }
  });
});
