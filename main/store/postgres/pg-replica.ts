import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings } from '../../../shared/settings.js';
import { attemptIdAt } from '../compact-log.js';
import { openDatabase, type SqliteDatabase } from '../database.js';
import { readStoredSettings } from '../policy-reader.js';
import { CatchUp } from './catch-up.js';
import type { PgSql } from './pg-connection.js';

/**
 * A batch commits within milliseconds of taking its numbers; ten seconds also cover a stalled
 * disk. What the copy misses is shown late, at its row's next change.
 */
const LATE = { seconds: 10, rows: 10_000 };

/** Rows per read while copying. */
const BATCH = 10_000;

type Values = unknown[];

/**
 * A copy of a shared PostgreSQL greylist in a SQLite file of the workstation's own, kept up to
 * date by what changed since: the insight reads (At risk, Retry behaviour, the impact preview)
 * run on it exactly as they run on a filter's database file, with their incremental models.
 * Ids are the shared database's, so that a fix chosen on the copy names the shared rows. Only
 * this class writes to the copy; the copy is deleted on close.
 */
export class PgReplica {
  private readonly strings = new CatchUp(LATE);
  private readonly triplets = new CatchUp(LATE);
  private readonly deletions = new CatchUp(LATE);
  private readonly attempts = new CatchUp(LATE);
  private policyVersion = -1;
  private syncing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly sql: PgSql,
    readonly db: SqliteDatabase,
    private readonly dir: string,
  ) {}

  /** Makes the copy (all of it: a minute or so at a million triplets) and returns once it is whole. */
  static async open(sql: PgSql, progress: (line: string) => void = () => {}): Promise<PgReplica> {
    const dir = mkdtempSync(join(tmpdir(), 'greyward-copy-'));
    const db = openDatabase(join(dir, 'shared-copy.db'), { progress });
    // The new file's own texts and default entries make way for the shared ones, ids and all.
    db.exec("DELETE FROM strings; DELETE FROM list_entries; DELETE FROM settings; DELETE FROM setting_changes; DELETE FROM sqlite_sequence WHERE name = 'strings';");
    const replica = new PgReplica(sql, db, dir);
    const started = Date.now();
    await replica.sync();
    const triplets = db.prepare('SELECT count(*) FROM triplets').pluck().get() as number;
    if (triplets >= 10_000) progress(`copied ${triplets.toLocaleString('en')} triplets of the shared greylist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return replica;
  }

  get path(): string {
    return this.db.name;
  }

  /** Catches up every `intervalMs` until closed. */
  follow(intervalMs = 2000, onError: (error: Error) => void = () => {}): void {
    const tick = () => {
      this.timer = setTimeout(() => {
        this.sync().then(tick, (error: Error) => {
          onError(error);
          tick();
        });
      }, intervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Reads what changed since the last call; one at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.catchUp().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async catchUp(): Promise<void> {
    const now = Date.now() / 1000;
    const stringsFrom = this.strings.from(now);
    const tripletsFrom = this.triplets.from(now);
    const deletionsFrom = this.deletions.from(now);
    const attemptsFrom = this.attempts.from(now);
    const insertString = this.db.prepare('INSERT OR IGNORE INTO strings (id, text) VALUES (?, ?)');
    const upsertTriplet = this.db.prepare(
      `INSERT OR REPLACE INTO triplets (id, sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const deleteTriplet = this.db.prepare('DELETE FROM triplets WHERE id = ?');
    const insertAttempt = this.db.prepare(
      `INSERT OR IGNORE INTO attempts (id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay,
         triplet_id, attempt_number, client_group, key_sender, key_recipient, filter) VALUES (${new Array(18).fill('?').join(', ')})`,
    );
    let maxString = 0;
    let maxChange = 0;
    let maxDeletion = 0;
    let maxAttempt = 0;
    const apply = (statement: { run(...values: unknown[]): unknown }, rows: Values[], onRow: (row: Values) => void) =>
      this.db.transaction(() => {
        for (const row of rows) {
          statement.run(...row);
          onRow(row);
        }
      })();
    // Strings first: every row after names them.
    await this.sql`SELECT id, text FROM strings WHERE id > ${stringsFrom} ORDER BY id`.values().cursor(BATCH, (rows) => {
      apply(insertString, rows as Values[], (row) => (maxString = Math.max(maxString, row[0] as number)));
    });
    await this.sql`
      SELECT id, sender, recipient, client_group, first_seen, last_seen, attempts, early_attempts, passed_at, passes, change
      FROM triplets WHERE change > ${tripletsFrom} ORDER BY change`
      .values()
      .cursor(BATCH, (rows) => {
        apply(upsertTriplet, (rows as Values[]).map((row) => row.slice(0, 10)), () => undefined);
        for (const row of rows as Values[]) maxChange = Math.max(maxChange, row[10] as number);
      });
    await this.sql`SELECT id, change FROM deleted_triplets WHERE change > ${deletionsFrom} ORDER BY change`.values().cursor(BATCH, (rows) => {
      // A triplet deleted and then started again under a new id is deleted here by its old id only.
      apply(deleteTriplet, (rows as Values[]).map((row) => [row[0]]), () => undefined);
      for (const row of rows as Values[]) maxDeletion = Math.max(maxDeletion, row[1] as number);
    });
    await this.sql`
      SELECT id, at, client_address, client_name, helo, sender, recipient, queue_id, action, reason, rule, delay, triplet_id, attempt_number,
        client_group, key_sender, key_recipient, filter
      FROM attempts WHERE id > ${attemptsFrom} ORDER BY id`
      .values()
      .cursor(BATCH, (rows) => {
        apply(insertAttempt, rows as Values[], (row) => (maxAttempt = Math.max(maxAttempt, row[0] as number)));
      });
    this.strings.saw(now, maxString);
    this.triplets.saw(now, maxChange);
    this.deletions.saw(now, maxDeletion);
    this.attempts.saw(now, maxAttempt);
    await this.copyPolicy();
    // The filters expire the shared log; the copy drops what they drop.
    const retention = resolveSettings(readStoredSettings(this.db)).settings.logRetention;
    this.db.prepare('DELETE FROM attempts WHERE id < ?').run(attemptIdAt(this.db, Math.floor(now) - retention));
  }

  /** Lists, settings, their history and the edit counters: small, copied whole when the shared ones moved. */
  private async copyPolicy(): Promise<void> {
    const meta = await this.sql<Array<{ key: string; value: number }>>`SELECT key, value FROM meta WHERE key IN ('policy_version', 'triplet_edits')`;
    const version = meta.find((row) => row.key === 'policy_version')?.value ?? 0;
    const edits = meta.find((row) => row.key === 'triplet_edits')?.value ?? 0;
    const setEdits = this.db.prepare("UPDATE meta SET value = ? WHERE key = 'triplet_edits'");
    if (version === this.policyVersion) {
      setEdits.run(edits);
      return;
    }
    const [entries, settings, changes] = await Promise.all([
      this.sql`SELECT id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at FROM list_entries`.values(),
      this.sql`SELECT key, value, updated_at FROM settings`.values(),
      this.sql`SELECT id, at, key, old_value, new_value FROM setting_changes`.values(),
    ]);
    this.db.transaction(() => {
      this.db.exec('DELETE FROM list_entries; DELETE FROM settings; DELETE FROM setting_changes;');
      const entry = this.db.prepare('INSERT INTO list_entries (id, list, kind, pattern, comment, source, created_at, expires_at, hits, last_hit_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const row of entries as unknown as Values[]) entry.run(...row);
      const setting = this.db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)');
      for (const row of settings as unknown as Values[]) setting.run(...row);
      const change = this.db.prepare('INSERT INTO setting_changes (id, at, key, old_value, new_value) VALUES (?, ?, ?, ?, ?)');
      for (const row of changes as unknown as Values[]) change.run(...row);
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'policy_version'").run(version);
      setEdits.run(edits);
    })();
    this.policyVersion = version;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.syncing?.catch(() => undefined);
    if (this.db.open) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
