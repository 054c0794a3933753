import type { Attempt, MailPassed } from '../../shared/contract.js';

/** How and when deferred mail got through; 'you': "Pass now" in this window. */
export interface Passed {
  at: number;
  by: MailPassed['by'] | 'you';
}

/**
 * Which deferred mail has got through since, by triplet ("t:7") or by sender and recipient (an
 * allow entry lets the mail in without its triplet), and how many of the tracked deferrals have
 * not: kept up to date as passes arrive, so that a frame never walks every row to count them.
 */
export class MailPasses {
  private passes = new Map<string, Passed[]>(); // oldest first
  private rowsByKey = new Map<string, Attempt[]>();
  private mailKeys = new WeakMap<Attempt, string>();
  private waitingRows = 0;

  /** Tracked deferrals whose mail has not got through. */
  get waiting(): number {
    return this.waitingRows;
  }

  passedOf(row: Attempt): Passed | undefined {
    const first = (key: string) => this.passes.get(key)?.find((pass) => pass.at >= row.at);
    return (row.tripletId === null ? undefined : first(`t:${row.tripletId}`)) ?? first(this.mailKey(row));
  }

  /** Starts following rows newly shown. */
  track(rows: readonly Attempt[]): void {
    for (const row of rows) {
      for (const key of this.keysOf(row)) {
        const list = this.rowsByKey.get(key);
        if (list) list.push(row);
        else this.rowsByKey.set(key, [row]);
      }
      if (!this.passedOf(row)) this.waitingRows++;
    }
  }

  /** Follows exactly these rows (after older ones were dropped); passes of mail no longer shown are forgotten. */
  retrack(rows: readonly Attempt[]): void {
    this.rowsByKey.clear();
    this.waitingRows = 0;
    this.track(rows);
    for (const key of this.passes.keys()) if (!this.rowsByKey.has(key)) this.passes.delete(key);
  }

  /** A pass of a triplet (`t:` key) or of a mail (see mailKey); returns whether a row changed. */
  add(key: string, pass: Passed): boolean {
    const list = this.passes.get(key) ?? [];
    if (list.some((known) => known.at === pass.at)) return false;
    const rows = this.rowsByKey.get(key) ?? [];
    const waitingBefore = rows.filter((row) => !this.passedOf(row));
    list.push(pass);
    list.sort((a, b) => a.at - b.at);
    this.passes.set(key, list);
    const nowPassed = waitingBefore.filter((row) => this.passedOf(row)).length;
    this.waitingRows -= nowPassed;
    return nowPassed > 0;
  }

  addOfAttempt(attempt: Attempt, by: Passed['by']): void {
    if (attempt.tripletId !== null) this.add(`t:${attempt.tripletId}`, { at: attempt.at, by });
    this.add(this.mailKey(attempt), { at: attempt.at, by });
  }

  /** The key of a deferral's own mail: its triplet when it has one, else its sender and recipient. */
  ownKey(row: Attempt): string {
    return row.tripletId === null ? this.mailKey(row) : `t:${row.tripletId}`;
  }

  private keysOf(row: Attempt): string[] {
    return row.tripletId === null ? [this.mailKey(row)] : [`t:${row.tripletId}`, this.mailKey(row)];
  }

  private mailKey(row: Attempt): string {
    let key = this.mailKeys.get(row);
    if (key === undefined) {
      key = `m:${row.sender.toLowerCase()}\n${row.recipient.toLowerCase()}`;
      this.mailKeys.set(row, key);
    }
    return key;
  }
}
