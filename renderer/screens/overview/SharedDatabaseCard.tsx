import type { SharedFilter } from '../../../shared/contract.js';
import { counted } from '../../../shared/plural.js';

/** In place of the filter card on a shared database: no filter runs here, those on the mail hosts are listed below. */
export function SharedDatabaseCard({ filters }: { filters: readonly SharedFilter[] }) {
  const answering = filters.filter((filter) => filter.state === 'answering').length;
  const silent = filters.length - answering;
  const offClock = filters.filter((filter) => Math.abs(filter.clockOffset) > 5).length;
  return (
    <section className="card filter-card" aria-labelledby="shared-card-title">
      <div className="card-title-row">
        <h2 id="shared-card-title">Shared greylist</h2>
        <span className={`badge ${silent === 0 && answering > 0 ? 'badge-running' : 'badge-crashed'}`}>
          <span className="badge-dot" aria-hidden="true" />
          {counted(answering, 'filter')} answering
        </span>
      </div>
      <p className="muted">
        This window edits a greylist several mail hosts share. Their filters run there, each under its own supervisor (systemd); none is started
        here, and a change made here reaches every one of them within a second.
      </p>
      {silent > 0 && <p className="warning-text">{counted(silent, 'filter')} stopped sending heartbeats: check that host.</p>}
      {offClock > 0 && <p className="warning-text">{counted(offClock, 'host')} with a clock off by more than 5 s: delays are judged by each host's clock.</p>}
    </section>
  );
}
