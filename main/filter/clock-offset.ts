import type { Log } from './log.js';

/**
 * Beyond this, filters sharing a database disagree about when a triplet was first seen by more
 * than a greylisting delay can absorb unnoticed: a sender deferred at one host may pass at the
 * other that many seconds early or late.
 */
export const CLOCK_OFFSET_LIMIT_SECONDS = 5;

/** Says once when this host's clock is off the shared database's, and once when it is right again. */
export class ClockOffsetWarning {
  private off = false;

  constructor(private readonly log: Log) {}

  heard(offset: number | undefined): void {
    if (offset === undefined) return;
    const off = Math.abs(offset) > CLOCK_OFFSET_LIMIT_SECONDS;
    if (off && !this.off) {
      this.log.warn(
        `this host's clock is ${Math.abs(offset).toFixed(1)} s ${offset > 0 ? 'ahead of' : 'behind'} the database's: ` +
          'filters sharing the greylist judge delays by their own clocks, so run NTP (chrony, systemd-timesyncd) on every host',
      );
    } else if (!off && this.off) this.log.info(`this host's clock agrees with the database's again (${offset.toFixed(1)} s)`);
    this.off = off;
  }
}
