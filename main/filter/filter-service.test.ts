import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import type { FilterStore, GreylistState, TripletKey } from '../store/greylist-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FilterService } from './filter-service.js';
import { memoryLog } from './log.js';
import type { PolicyRequest } from './policy-protocol.js';

const T0 = 1_800_000_000;

const request = (recipient: string): PolicyRequest => ({
  protocolState: 'RCPT',
  clientAddress: '198.51.100.7',
  clientName: 'mx.example.org',
  reverseClientName: 'mx.example.org',
  helo: 'mx.example.org',
  sender: 'alice@example.org',
  recipient,
  queueId: '',
  instance: '',
});

/** The SQLite store behind a network-like delay: every read answers a few milliseconds later. */
function answeringLater(inner: SqliteStore): FilterStore {
  return {
    readPolicy: () => inner.readPolicy(),
    policyVersion: () => inner.policyVersion(),
    findGreylistState: (key: TripletKey) =>
      new Promise<GreylistState>((resolve) => setTimeout(() => resolve(inner.findGreylistState(key)), 3)),
    commit: (writes) => inner.commit(writes),
    expire: (limits) => inner.expire(limits),
    announce: (presence, running) => inner.announce(presence, running),
    close: () => inner.close(),
  };
}

async function service(store: FilterStore) {
  const log = memoryLog();
  const filter = await FilterService.start({ store, log, productVersion: 'test', clock: () => T0, expiryIntervalMs: 0 });
  return { filter, log, reasons: () => log.lines.filter((line) => line.startsWith('decision')).map((line) => /reason=(\S+)/.exec(line)![1]) };
}

describe('FilterService answers', () => {
  it('answers at once from a store that can, and in order from one that answers later', async () => {
    const sqlite = new SqliteStore(openDatabase(':memory:'));
    const now = await service(sqlite);
    expect(typeof now.filter.answer(request('bob@example.net'))).toBe('string');

    const later = await service(answeringLater(new SqliteStore(openDatabase(':memory:'))));
    // Asked together: the second must see the first's decision, though the store has not answered either yet.
    const answers = await Promise.all([later.filter.answer(request('carol@example.net')), later.filter.answer(request('carol@example.net'))]);
    expect(answers.every((answer) => answer.startsWith('DEFER_IF_PERMIT 4.7.1'))).toBe(true);
    await later.filter.settle();
    expect(later.reasons()).toEqual(['new', 'early']);
    await Promise.all([now.filter.stop(), later.filter.stop()]);
  });

  it('lets mail to postmaster@ and abuse@ through at once on a new database (RFC 5321 4.5.1), and greylists the rest', async () => {
    const { filter, log } = await service(new SqliteStore(openDatabase(':memory:')));
    expect(filter.answer(request('postmaster@example.net'))).toBe('DUNNO');
    expect(filter.answer(request('Abuse@example.net'))).toBe('DUNNO');
    expect(filter.answer(request('bob@example.net'))).toMatch(/^DEFER_IF_PERMIT 4\.7\.1 /);
    await filter.settle();
    expect(log.lines.filter((line) => line.startsWith('decision')).map((line) => /reason=(\S+) .*rule="([^"]*)"/.exec(line)!.slice(1))).toEqual([
      ['allow-list', expect.stringMatching(/^allow recipient-user postmaster@ /)],
      ['allow-list', expect.stringMatching(/^allow recipient-user abuse@ /)],
      ['new', expect.any(String)],
    ]);
    await filter.stop();
  });

  it('answers DUNNO, and says why, when the store fails to read', async () => {
    const inner = new SqliteStore(openDatabase(':memory:'));
    const failing: FilterStore = {
      ...answeringLater(inner),
      findGreylistState: () => {
        throw new Error('disk I/O error');
      },
    };
    const { filter, log } = await service(failing);
    expect(filter.answer(request('dave@example.net'))).toBe('DUNNO');
    expect(log.lines.join('\n')).toMatch(/internal error, answered DUNNO .*recipient=<dave@example.net>: disk I\/O error/);
    await filter.stop();
  });
});
