import type { Attempt } from '../../shared/contract.js';
import type { AdminQueries } from '../store/admin-queries.js';

export interface LivePumpOptions {
  intervalMs?: number;
  /** Attempts per push at most; a fuller backlog is sent in several pushes without waiting. */
  batch?: number;
}

/**
 * Tails the attempt log by rowid and pushes what is new in batches: one query per interval,
 * never one per row, never the whole table again.
 */
export function startLivePump(queries: AdminQueries, push: (attempts: Attempt[]) => void, options: LivePumpOptions = {}): { stop(): void } {
  const batch = options.batch ?? 5000;
  let lastId = queries.lastAttemptId();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    let delay = options.intervalMs ?? 200;
    try {
      const rows = queries.attemptsAfter(lastId, batch);
      if (rows.length > 0) {
        lastId = rows.at(-1)!.id;
        push(rows);
        if (rows.length === batch) delay = 0;
      }
    } catch {
      // A locked or busy database delays the live view by one interval; the next tick catches up.
    }
    timer = setTimeout(tick, delay);
  };
  timer = setTimeout(tick, 0);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
