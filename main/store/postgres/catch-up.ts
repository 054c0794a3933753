export interface Lateness {
  /** How long a row may take between getting its number and being committed; rows this recent are read again. */
  seconds: number;
  /** Until that much time has passed since the first reading: how far back by number to read again. */
  rows: number;
}

/**
 * Where to read from next in a series numbered as rows are written but committed in another
 * order (several filters at once): from what had been seen `late.seconds` ago, so that a row
 * committed late is read on a later pass. Reading a row twice is harmless; missing one costs
 * what the reader is for (see its callers), until the row changes again.
 */
export class CatchUp {
  private marks: Array<[number, number]> = [];
  private seen = 0;

  constructor(private readonly late: Lateness) {}

  from(now: number): number {
    while (this.marks.length > 1 && this.marks[1]![0] <= now - this.late.seconds) this.marks.shift();
    const mark = this.marks[0];
    if (!mark) return 0;
    return mark[0] <= now - this.late.seconds ? mark[1] : Math.max(0, mark[1] - this.late.rows);
  }

  saw(now: number, value: number): void {
    this.seen = Math.max(this.seen, value);
    this.marks.push([now, this.seen]);
  }
}
