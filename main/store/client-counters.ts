import type { Database } from 'better-sqlite3';
import { clientGroup } from '../../shared/net.js';
import { resolveSettings } from '../../shared/settings.js';

const HOUR = 3600;

interface Counter {
  passes: number;
  lastCountedAt: number;
  lastSeen: number;
  autoAllowed: boolean;
}

/**
 * Counts auto-allow again, per exact client address, as the filter now counts it: from the
 * attempt log, the first passes of triplets after their delay ("passed"), one an hour at most.
 * The counts before were per client network and took every pass, so they cannot be split; they
 * survive only where an address was being auto-allowed (seen so in the log) and its network's
 * count is still stored: that address keeps the count, and with it its auto-allowed state.
 * Expects client_passes already keyed by `client`.
 */
export function recountClientPasses(db: Database): void {
  const stored = Object.fromEntries((db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>).map(({ key, value }) => [key, parseJson(value)]));
  const { settings } = resolveSettings(stored);
  const byNetwork = new Map(
    (db.prepare('SELECT client, passes, last_counted_at AS lastCountedAt FROM client_passes').all() as Array<{ client: string; passes: number; lastCountedAt: number }>).map(
      (row) => [row.client, row],
    ),
  );
  const counters = new Map<string, Counter>();
  const rows = db
    .prepare("SELECT client_address AS address, at, reason FROM attempts WHERE reason IN ('passed', 'known', 'auto-allowed') ORDER BY at")
    .iterate() as IterableIterator<{ address: string; at: number; reason: string }>;
  for (const { address, at, reason } of rows) {
    const client = clientGroup(address, 32, 128);
    let counter = counters.get(client);
    if (!counter) counters.set(client, (counter = { passes: 0, lastCountedAt: 0, lastSeen: at, autoAllowed: false }));
    counter.lastSeen = Math.max(counter.lastSeen, at);
    if (reason === 'auto-allowed') counter.autoAllowed = true;
    if (reason === 'passed' && at - counter.lastCountedAt >= HOUR) {
      counter.passes++;
      counter.lastCountedAt = at;
    }
  }
  db.prepare('DELETE FROM client_passes').run();
  const insert = db.prepare('INSERT INTO client_passes (client, passes, last_counted_at, last_seen) VALUES (?, ?, ?, ?)');
  for (const [client, counter] of counters) {
    const network = counter.autoAllowed ? byNetwork.get(clientGroup(client, settings.clientPrefixV4, settings.clientPrefixV6)) : undefined;
    const passes = Math.max(counter.passes, network?.passes ?? 0);
    const lastCountedAt = Math.max(counter.lastCountedAt, network?.lastCountedAt ?? 0);
    insert.run(client, passes, lastCountedAt, counter.lastSeen);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
