import type { SharedFilter } from '../../../shared/contract.js';
import { Empty } from '../../components/StatusMessage.js';
import { formatAgo, formatCount } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';

/** Beyond this many seconds off the database's clock, a host judges delays differently from the others. */
const CLOCK_OFF_SECONDS = 5;

function describeClock(offset: number): string {
  if (Math.abs(offset) <= CLOCK_OFF_SECONDS) return 'in step';
  return `${Math.abs(offset).toFixed(1)} s ${offset > 0 ? 'ahead' : 'behind'}: run NTP on that host`;
}

/** Every filter on a shared database, from the heartbeats they write into it. */
export function SharedFilters({ filters }: { filters: readonly SharedFilter[] }) {
  const now = useNow(5000);
  if (filters.length === 0) {
    return <Empty title="No filter on this database">Start `greyward filter --db URL` on each mail host; it shows here within five seconds.</Empty>;
  }
  return (
    <table className="table" aria-label="Filters on this database">
      <thead>
        <tr>
          <th scope="col">Host</th>
          <th scope="col">State</th>
          <th scope="col">Listens on</th>
          <th scope="col">Version</th>
          <th scope="col">Last heartbeat</th>
          <th scope="col" className="numeric">Decisions / min</th>
          <th scope="col">Clock</th>
        </tr>
      </thead>
      <tbody>
        {filters.map((filter) => (
          <tr key={`${filter.host}:${filter.pid}`}>
            <td className="mono">
              {filter.host} <span className="muted">(pid {filter.pid})</span>
            </td>
            <td>
              <span className={`badge ${filter.state === 'answering' ? 'badge-running' : 'badge-crashed'}`}>
                <span className="badge-dot" aria-hidden="true" />
                {filter.state}
              </span>
            </td>
            <td className="mono">{[filter.endpoints.tcp, filter.endpoints.unix].filter(Boolean).join(', ') || '—'}</td>
            <td>{filter.version}</td>
            <td>{formatAgo(filter.seenAt, now)}</td>
            <td className="numeric">{formatCount(filter.decisionsPerMinute)}</td>
            <td className={Math.abs(filter.clockOffset) > CLOCK_OFF_SECONDS ? 'warning-text' : undefined}>{describeClock(filter.clockOffset)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
