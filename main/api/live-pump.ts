import type { Attempt } from '../../shared/contract.js';
import type { AdminReads } from '../store/admin-reads.js';

export interface LivePumpOptions {
  intervalMs?: number;
  /** Attempts per push at most; a fuller backlog is sent in several pushes without waiting. */
  batch?: number;
}

/**
 * Tails the attempt log by rowid and pushes what is new in batches: one query per interval,
 * never one per row, never the whole table again.
 */
export function startLivePump(queries: Pick<AdminReads, 'lastAttemptId' | 'attemptsAfter'>, push: (attempts: Attempt[]) => void, options: LivePumpOptions = {}): { stop(): void } {
  const batch = options.batch ?? 5000;
  let lastId: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    let delay = options.intervalMs ?? 200;
    try {
      if (lastId === undefined) lastId = await queries.lastAttemptId();
      else {
        const rows = await queries.attemptsAfter(lastId, batch);
        if (rows.length > 0) {
          lastId = Math.max(lastId, rows.at(-1)!.id);
          push(rows);
          if (rows.length >= batch) delay = 0;
        }
      }
    } catch {
      // A locked, busy or unreachable database delays the live view by one interval; the next tick catches up.
    }
    if (!stopped) timer = setTimeout(() => void tick(), delay);
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
