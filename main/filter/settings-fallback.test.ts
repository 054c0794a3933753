import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FilterService } from './filter-service.js';
import { memoryLog } from './log.js';
import type { PolicyRequest } from './policy-protocol.js';

const T0 = 1_800_000_000;
const request: PolicyRequest = {
  protocolState: 'RCPT',
  clientAddress: '198.51.100.7',
  clientName: 'mx.example.org',
  reverseClientName: 'mx.example.org',
  helo: 'mx.example.org',
  sender: 'alice@example.org',
  recipient: 'bob@example.net',
  queueId: '',
  instance: '',
};

describe('settings the filter cannot work with', () => {
  it('an impossible combination written behind Greyward\'s back is logged, and the defaults apply so that retries pass', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    // A delay longer than the retry window: with these, every retry would be early or too late.
    store.db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('delay', '600', 0), ('retryWindow', '300', 0)").run();
    const clock = { now: T0 };
    const log = memoryLog();
    const filter = await FilterService.start({ store, log, productVersion: 'test', clock: () => clock.now, expiryIntervalMs: 0 });
    try {
      expect(log.lines.join('\n')).toMatch(/setting ignored: retryWindow \(5m\) must be at least delay \+ 1h .*\(using the defaults delay 5m, retryWindow 2d\)/);
      expect(await filter.answer(request)).toBe('DEFER_IF_PERMIT 4.7.1 Greylisted, try again in 300 seconds');
      await filter.settle();
      clock.now = T0 + 301;
      expect(await filter.answer(request)).toMatch(/^PREPEND X-Greylist: delayed 301 seconds/);
    } finally {
      await filter.stop();
      await store.close();
    }
  });
});
