import type { Overview } from '../../../shared/contract.js';
import { formatCount } from '../../format/time.js';

const TILES = [
  { key: 'defer', label: 'Deferred', help: 'told to retry later (first contacts and early retries)' },
  { key: 'pass', label: 'Passed', help: 'retried after the delay, or a known triplet' },
  { key: 'allow', label: 'Allowed', help: 'matched the allow list or an auto-allowed client' },
  { key: 'reject', label: 'Rejected', help: 'matched the deny list' },
] as const;

export function TodayCounts({ today }: { today: Overview['today'] }) {
  return (
    <section className="card" aria-labelledby="today-title">
      <h2 id="today-title">Today</h2>
      <div className="tiles">
        {TILES.map((tile) => (
          <div key={tile.key} className={`tile tile-${tile.key}`} title={tile.help}>
            <div className="tile-value">{formatCount(today[tile.key])}</div>
            <div className="tile-label">{tile.label}</div>
            <div className="tile-help">{tile.help}</div>
          </div>
        ))}
      </div>
    </section>
  );
}
