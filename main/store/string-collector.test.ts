import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { prepareDecisionWriter } from './decision-writer.js';
import type { DecisionWrite } from './greylist-store.js';
import { migrate } from './migrations.js';
import { StringCollector } from './string-collector.js';
import { StringTable } from './string-table.js';

const T0 = 1_800_000_000;
const DAY = 86_400;

const write = (at: number, sender: string, name: string): DecisionWrite => ({
  attempt: { at, clientAddress: '192.0.2.10', clientName: name, helo: 'helo.example', sender, recipient: 'bob@example.net', queueId: '', action: 'defer', reason: 'new', rule: `triplet 192.0.2.0/24 ${sender} bob@example.net`, delay: 300 },
  triplet: { key: { clientGroup: '192.0.2.0/24', sender, recipient: 'bob@example.net' }, state: { firstSeen: at, lastSeen: at, attempts: 1, earlyAttempts: 0, passedAt: null, passes: 0 } },
});

function database() {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}

const stored = (db: Database.Database) => new Set(db.prepare('SELECT text FROM strings').pluck().all() as string[]);
const limits = (now: number) => ({ now, settings: { retryWindow: DAY, maxAge: 35 * DAY, logRetention: 35 * DAY }, batch: 10_000 });

describe('collecting the texts nothing names any more', () => {
  it('deletes the strings of expired rows once a day, and keeps every string a row still names', () => {
    const db = database();
    const writer = prepareDecisionWriter(db);
    writer.commit([write(T0, 'old@gone.example', 'mx.gone.example'), write(T0 + 40 * DAY, 'new@kept.example', 'mx.kept.example')]);
    expect(writer.expire(limits(T0 + 40 * DAY))).toBe(2);
    expect(stored(db)).toContain('old@gone.example');
    let step = writer.collectStrings(T0 + 40 * DAY);
    let deleted = step.deleted;
    while (step.more) deleted += (step = writer.collectStrings(T0 + 40 * DAY)).deleted;
    expect(stored(db)).not.toContain('old@gone.example');
    expect(stored(db)).not.toContain('mx.gone.example');
    expect([...stored(db)]).toEqual(expect.arrayContaining(['new@kept.example', 'mx.kept.example', 'helo.example', '192.0.2.0/24', 'defer', 'new']));
    expect(deleted).toBe(2);
    expect(db.prepare('SELECT count(*) FROM attempt_view WHERE sender IS NULL OR client_name IS NULL OR rule IS NULL').pluck().get()).toBe(0);
    // Done for the day: the next step does nothing.
    expect(writer.collectStrings(T0 + 40 * DAY + 3600)).toEqual({ deleted: 0, more: false });
  });

  it('collects nothing while another filter writes the same database, since that one hands out ids of its own', () => {
    const db = database();
    const writer = prepareDecisionWriter(db);
    writer.commit([write(T0, 'old@gone.example', 'mx.gone.example')]);
    writer.expire(limits(T0 + 40 * DAY));
    const now = T0 + 40 * DAY;
    for (const pid of [1, 2]) writer.announce({ pid, host: 'mx', endpoints: {}, version: 'test', startedAt: now, seenAt: now }, true);
    expect(writer.collectStrings(now)).toEqual({ deleted: 0, more: false });
    expect(stored(db)).toContain('old@gone.example');
    writer.announce({ pid: 2, host: 'mx', endpoints: {}, version: 'test', startedAt: now, seenAt: now }, false);
    let step = writer.collectStrings(now);
    while (step.more) step = writer.collectStrings(now);
    expect(stored(db)).not.toContain('old@gone.example');
  });

  it('keeps a string that a decision written during the collection names again', () => {
    const db = database();
    const strings = new StringTable(db);
    const writer = prepareDecisionWriter(db);
    writer.commit(Array.from({ length: 30 }, (_, i) => write(T0 + i, `s${i}@example.org`, 'unknown')));
    // The old rows go; then, between steps of the collection, mail from s7 comes again.
    db.prepare('DELETE FROM attempts').run();
    db.prepare('DELETE FROM triplets').run();
    const collector = new StringCollector(db, strings, 4);
    const steps: Array<{ deleted: number; more: boolean }> = [collector.step(T0 + DAY)];
    const insert = db.prepare('INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const id = (text: string) => strings.intern(text);
    insert.run(T0 + DAY, id('192.0.2.10'), id('unknown'), id('helo.example'), id('s7@example.org'), id('bob@example.net'), '', id('defer'), id('new'));
    while (steps.at(-1)!.more) steps.push(collector.step(T0 + DAY));
    expect(stored(db)).toContain('s7@example.org');
    expect(stored(db)).not.toContain('s8@example.org');
    expect(db.prepare('SELECT sender FROM attempt_view').pluck().all()).toEqual(['s7@example.org']);
  });
});
