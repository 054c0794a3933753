import { hostname } from 'node:os';
import { PRESENCE_INTERVAL_MS } from '../filter/daemon.js';
import type { FilterPresence } from '../store/greylist-store.js';
import type { SqliteStore } from '../store/sqlite-store.js';

/** A filter that announced itself this long ago is gone: three missed heartbeats. */
export const PRESENCE_FRESH_SECONDS = (3 * PRESENCE_INTERVAL_MS) / 1000;

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PresenceProbeOptions {
  store: Pick<SqliteStore, 'presentFilters'>;
  /** Unix seconds. */
  clock?: () => number;
  host?: string;
  isAlive?: (pid: number) => boolean;
}

/**
 * Another filter serving this database: one whose heartbeat row is fresh (3 × 5 s) and, when it
 * runs on this host, whose pid is alive (a SIGKILLed filter leaves a fresh row behind for up to
 * 15 s). A filter on another host (a database on shared storage) is trusted on its heartbeat alone.
 * The filters this app started are never "another filter", even where their pid was reused since.
 */
export function presenceProbe(options: PresenceProbeOptions): (ownPids?: ReadonlySet<number>) => Promise<FilterPresence | undefined> {
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const host = options.host ?? hostname();
  const isAlive = options.isAlive ?? isProcessAlive;
  return async (ownPids = new Set<number>()) => {
    const present = await options.store.presentFilters(clock(), PRESENCE_FRESH_SECONDS);
    return present.find((filter) => (filter.host !== host ? true : !ownPids.has(filter.pid) && isAlive(filter.pid)));
  };
}
