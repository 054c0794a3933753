import { describe, expect, it } from 'vitest';
import { FilterService } from '../filter/filter-service.js';
import { quietLog } from '../filter/log.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { inlineInsightReads } from './insight-reads.js';

const T0 = 1_800_000_000;

describe('retry histogram', () => {
  it('judges each retry against the delay in force when it came, not against today’s', async () => {
    const store = new SqliteStore(openDatabase(':memory:'));
    await store.setSetting('delay', 5, T0);
    const clock = { now: T0 };
    const filter = await FilterService.start({ store, log: quietLog(), productVersion: 'test', clock: () => clock.now, expiryIntervalMs: 0 });
    const ask = async (at: number, recipient: string) => {
      clock.now = at;
      const reply = filter.answer({
        protocolState: 'RCPT', clientAddress: '192.0.2.10', clientName: 'mail.example.com', reverseClientName: 'mail.example.com', helo: 'mail.example.com',
        sender: 'alice@example.com', recipient, queueId: '', instance: '',
      });
      await filter.settle();
      return reply;
    };
    // Under a 5 s delay: one retry after 3 s (too early), one after 7 s (passes).
    await ask(T0, 'early@example.net');
    expect(await ask(T0 + 3, 'early@example.net')).toMatch(/^DEFER/);
    await ask(T0 + 10, 'passes@example.net');
    expect(await ask(T0 + 17, 'passes@example.net')).toMatch(/^PREPEND X-Greylist: delayed 7 seconds/);
    await filter.stop();
    // The delay is 10 s now; the 7 s retry still came after the delay of its time.
    await store.setSetting('delay', 10, T0 + 20);
    const histogram = await inlineInsightReads(store).retryHistogram({ now: T0 + 30 });
    expect(histogram).toMatchObject({ delay: 10, total: 2, beforeDelay: 1 });
    await store.close();
  });
});
