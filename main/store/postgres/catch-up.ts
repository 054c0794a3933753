/** How long a row may take between getting its number and being committed; rows this recent are read again. */
const LATE_SECONDS = 30;
/** Before that much time has passed since the first copy: how far back by number to read again. */
const LATE_ROWS = 10_000;
/**
 * Where to read from next in a series numbered as rows are written but committed in another
 * order (several filters at once): from what had been seen LATE_SECONDS ago, so that a row
 * committed late is read on a later pass. Reading a row twice is harmless; missing one is not.
 */
export class CatchUp {
  private marks: Array<[number, number]> = [];
  private seen = 0;

  from(now: number): number {
    while (this.marks.length > 1 && this.marks[1]![0] <= now - LATE_SECONDS) this.marks.shift();
    const mark = this.marks[0];
    if (!mark) return 0;
    return mark[0] <= now - LATE_SECONDS ? mark[1] : Math.max(0, mark[1] - LATE_ROWS);
  }

  saw(now: number, value: number): void {
    this.seen = Math.max(this.seen, value);
    this.marks.push([now, this.seen]);
  }
}
