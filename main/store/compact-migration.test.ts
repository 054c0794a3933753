import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactAttemptLog } from './compact-migration.js';
import { openDatabase } from './database.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'greyward-compact-')), 'greyward.db');
const T = 1_800_000_000;

/** A schema-6 database with traffic of every shape the filter logs: triplet rules, BATV and upper-case senders, bounces, list decisions. */
function seedSchema6(file: string, triplets: number): void {
  const db = new Database(file);
  migrate(db, MIGRATIONS.filter((m) => m.version <= 6));
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const insertTriplet = db.prepare(
    `INSERT INTO triplets (client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    let at = T;
    for (let i = 0; i < triplets; i++) {
      const network = `198.51.${i % 200}`;
      const group = `${network}.0/24`;
      const address = `${network}.${1 + (i % 250)}`;
      const bounce = i % 17 === 0;
      const batv = i % 11 === 0;
      const keySender = bounce ? '<>' : `user${i % 97}@sender${i % 13}.example`;
      const rawSender = bounce ? '' : batv ? `prvs=1234abcdef=user${i % 97}@sender${i % 13}.example` : i % 5 === 0 ? keySender.toUpperCase() : keySender;
      const recipient = `rcpt${i % 31}@example.net`;
      const passed = random() < 0.6;
      const id = insertTriplet.run(group, keySender, recipient, at, at + 400, passed ? 2 : 1, 0, passed ? at + 400 : null, passed ? 1 : 0).lastInsertRowid as number;
      const name = i % 3 === 0 ? 'unknown' : `mail${i % 7}.sender${i % 13}.example`;
      const rule = `triplet ${group} ${keySender} ${recipient}`;
      insertAttempt.run(at, address, name, `helo${i % 5}`, rawSender, recipient.toUpperCase(), '', 'defer', 'new', rule, 300, id, 1);
      if (passed) insertAttempt.run(at + 400, address, name, `helo${i % 5}`, rawSender, recipient, `Q${i}`, 'pass', 'passed', rule, 400, id, 2);
      if (i % 9 === 0) insertAttempt.run(at + 1, address, name, '', rawSender, 'postmaster@example.net', '', 'allow', 'allow-list', 'allow recipient-user postmaster (#1)', null, null, null);
      if (i % 23 === 0) insertAttempt.run(at + 2, address, name, 'x', 'a b@c', recipient, '', 'defer', 'new', `triplet ${group} "a b"@c ${recipient}`, 300, null, 1);
      at += 3;
    }
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('delay', '120', 1)").run();
    db.prepare("INSERT INTO list_entries (list, kind, pattern, comment, created_at) VALUES ('deny', 'sender-domain', 'spam.example', 'seen', 1)").run();
  })();
  db.close();
}

const rowsOf = (db: Database.Database, sql: string) => db.prepare(sql).all();
const ATTEMPTS = `SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number FROM %s ORDER BY id`;
const TRIPLETS = `SELECT id, client_group, sender, recipient, first_seen, last_seen, attempts, early_attempts, passed_at, passes FROM %s ORDER BY id`;

describe('the compact layout', () => {
  it('keeps every triplet, attempt, list entry and setting of an older database, and answers the same', async () => {
    const file = tempDb();
    seedSchema6(file, 3000);
    const before = new Database(file, { readonly: true });
    const attempts = rowsOf(before, ATTEMPTS.replace('%s', 'attempts'));
    const triplets = rowsOf(before, TRIPLETS.replace('%s', 'triplets'));
    const lists = rowsOf(before, 'SELECT * FROM list_entries ORDER BY id');
    const settings = rowsOf(before, 'SELECT * FROM settings ORDER BY key');
    const sizeBefore = fs.statSync(file).size;
    before.close();

    const progress: string[] = [];
    const db = openDatabase(file, { progress: (line) => progress.push(line) });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(rowsOf(db, ATTEMPTS.replace('%s', 'attempt_view'))).toEqual(attempts);
    expect(rowsOf(db, TRIPLETS.replace('%s', 'triplet_view'))).toEqual(triplets);
    expect(rowsOf(db, 'SELECT * FROM list_entries ORDER BY id')).toEqual(lists);
    expect(rowsOf(db, 'SELECT * FROM settings ORDER BY key')).toEqual(settings);
    expect(progress).toEqual([]);

    const store = new SqliteStore(db);
    for (const t of triplets as Array<{ id: number; client_group: string; sender: string; recipient: string; first_seen: number; passes: number }>) {
      const state = store.findGreylistState({ clientGroup: t.client_group, sender: t.sender, recipient: t.recipient }, 'nobody');
      expect(state.tripletId).toBe(t.id);
      expect(state.triplet?.firstSeen).toBe(t.first_seen);
    }
    await store.close();
    expect(fs.statSync(file).size).toBeLessThan(sizeBefore);
  });

  it('leaves an older database as it was when the upgrade fails halfway', () => {
    const file = tempDb();
    seedSchema6(file, 500);
    const snapshot = () => {
      const db = new Database(file, { readonly: true });
      const all = [rowsOf(db, ATTEMPTS.replace('%s', 'attempts')), rowsOf(db, TRIPLETS.replace('%s', 'triplets')), db.pragma('user_version', { simple: true })];
      db.close();
      return all;
    };
    const before = snapshot();
    const db = new Database(file);
    const failing = [
      ...MIGRATIONS.filter((m) => m.version <= 6),
      {
        version: 7,
        name: 'the compact layout, failing at its end',
        sql: '',
        apply: (inner: Database.Database) => {
          compactAttemptLog(inner);
          throw new Error('disk full');
        },
      },
    ];
    expect(() => migrate(db, failing)).toThrow('disk full');
    db.close();
    expect(snapshot()).toEqual(before);
  });
});
