import type { Overview } from '../../../shared/contract.js';
import { Empty } from '../../components/StatusMessage.js';
import { formatAgo, formatCount } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';

export function TopDeferredSenders({ senders }: { senders: Overview['topDeferred'] }) {
  const now = useNow(10_000);
  const setQuery = useApp((state) => state.triplets.setQuery);
  if (senders.length === 0) return <Empty title="No deferrals today">Senders that greylisting deferred show up here.</Empty>;
  const showTriplets = (sender: string) => {
    setQuery({ search: sender, state: 'all' });
    window.location.hash = '#/greylist';
  };
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Sender</th>
          <th scope="col" className="numeric">Deferrals</th>
          <th scope="col">Last deferred</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {senders.map((row) => (
          <tr key={row.sender}>
            <td className="mono">{row.sender || '<> (bounces)'}</td>
            <td className="numeric">{formatCount(row.deferrals)}</td>
            <td>{formatAgo(row.lastAt, now)}</td>
            <td className="row-actions">
              <button type="button" className="button button-small" onClick={() => showTriplets(row.sender)}>
                Show triplets
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
