import type { EventPayload } from '../../shared/contract.js';
import type { AdminReads } from '../store/admin-reads.js';
import type { AdminStore, FilterStore } from '../store/greylist-store.js';

export interface PolicyWatchOptions {
  intervalMs?: number;
}

/**
 * Tells the screens when the lists or the settings change, whoever changed them: this window,
 * another one, the command line or another process on the database. It reads the policy version
 * the database bumps on every such write (the filter reloads by the same number), one cheap read
 * per interval; only when it moves does it look at what changed.
 */
export function startPolicyWatch(
  store: Pick<FilterStore, 'policyVersion'> & Pick<AdminStore, 'storedSettings'>,
  queries: Pick<AdminReads, 'listsFingerprint'>,
  push: (change: EventPayload<'policy.changed'>) => void,
  options: PolicyWatchOptions = {},
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let seen: { version: number; settings: string; lists: string } | undefined;
  const read = async () => ({ version: await store.policyVersion(), settings: JSON.stringify(await store.storedSettings()), lists: await queries.listsFingerprint() });
  const tick = async () => {
    try {
      if (!seen) seen = await read();
      else if ((await store.policyVersion()) !== seen.version) {
        const now = await read();
        const settings = now.settings !== seen.settings;
        // The version moves only with the lists and the settings: if the settings did not change, the lists did.
        const lists = !settings || now.lists !== seen.lists;
        seen = now;
        push({ lists, settings });
      }
    } catch {
      // A locked or busy database delays the news by one interval; the next tick reads again.
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.intervalMs ?? 250);
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
