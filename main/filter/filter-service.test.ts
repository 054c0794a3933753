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
    findGreylistState: (key: TripletKey, client: string) =>
      new Promise<GreylistState>((resolve) => setTimeout(() => resolve(inner.findGreylistState(key, client)), 3)),
    commit: (writes) => inner.commit(writes),
    expire: (limits) => inner.expire(limits),
    collectStrings: (now) => inner.collectStrings(now),
    announce: (presence, running) => inner.announce(presence, running),
    close: () => inner.close(),
  };
}

async function service(store: FilterStore, clock = () => T0) {
  const log = memoryLog();
  const filter = await FilterService.start({ store, log, productVersion: 'test', clock, expiryIntervalMs: 0 });
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

// Both ways the filter reads: every lookup from the database, and (the daemon's way) from memory where it can.
describe.each([
  ['reading the database', undefined],
  ['answering from memory', { self: { pid: 1, host: 'here' }, clock: () => T0, freshSeconds: 15 }],
])('auto-allow, %s', (_, lookupsFromMemory) => {
  const HOUR = 3600;
  async function setUp(settings: { autoAllowAfter: number; autoAllowBy?: 'address' | 'network' }) {
    const store = new SqliteStore(openDatabase(':memory:'), lookupsFromMemory ? { lookupsFromMemory } : {});
    await store.setSetting('autoAllowAfter', settings.autoAllowAfter, T0);
    if (settings.autoAllowBy) await store.setSetting('autoAllowBy', settings.autoAllowBy, T0);
    const clock = { now: T0 };
    const { filter } = await service(store, () => clock.now);
    const ask = async (clientAddress: string, recipient: string) => {
      const answer = await filter.answer({ ...request(recipient), clientAddress });
      await filter.settle();
      return answer;
    };
    /** A triplet greylisted, and passed once its delay is over. */
    const passTriplet = async (clientAddress: string, recipient: string) => {
      expect(await ask(clientAddress, recipient)).toMatch(/^DEFER_IF_PERMIT/);
      clock.now += 300;
      expect(await ask(clientAddress, recipient)).toMatch(/^PREPEND X-Greylist/);
    };
    return { filter, clock, ask, passTriplet };
  }

  it('never auto-allows a client for one correspondent passing again and again', async () => {
    const { filter, clock, ask, passTriplet } = await setUp({ autoAllowAfter: 5 });
    await passTriplet('198.51.100.7', 'bob@example.net');
    for (let hour = 1; hour <= 8; hour++) {
      clock.now += HOUR;
      expect(await ask('198.51.100.7', 'bob@example.net')).toBe('DUNNO');
    }
    expect(await ask('198.51.100.7', 'carol@example.net')).toMatch(/^DEFER_IF_PERMIT/);
    await filter.stop();
  });

  it('counts the first passes of distinct triplets, per exact client address', async () => {
    const { filter, clock, ask, passTriplet } = await setUp({ autoAllowAfter: 2 });
    await passTriplet('198.51.100.7', 'bob@example.net');
    clock.now += HOUR;
    await passTriplet('198.51.100.7', 'carol@example.net');
    expect(await ask('198.51.100.7', 'dave@example.net')).toBe('DUNNO');
    // Its neighbour in the same /24 has proven nothing yet.
    expect(await ask('198.51.100.8', 'erin@example.net')).toMatch(/^DEFER_IF_PERMIT/);
    await filter.stop();
  });

  it('counts per client network when autoAllowBy is network', async () => {
    const { filter, clock, ask, passTriplet } = await setUp({ autoAllowAfter: 2, autoAllowBy: 'network' });
    await passTriplet('198.51.100.7', 'bob@example.net');
    clock.now += HOUR;
    await passTriplet('198.51.100.9', 'carol@example.net');
    expect(await ask('198.51.100.8', 'erin@example.net')).toBe('DUNNO');
    expect(await ask('203.0.113.8', 'erin@example.net')).toMatch(/^DEFER_IF_PERMIT/);
    await filter.stop();
  });
});
