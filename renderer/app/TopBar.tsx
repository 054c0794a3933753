import { FilterStateBadge } from '../components/FilterStateBadge.js';
import { useApp } from '../store/store.js';

export function TopBar() {
  const connected = useApp((state) => state.ui.connection.phase === 'open');
  // Without a connection the last status may be stale: say so instead of showing it.
  const status = useApp((state) => (connected ? state.filter.status : undefined));
  const endpoints = status ? [status.endpoints.tcp && `inet:${status.endpoints.tcp}`, status.endpoints.unix && `unix:${status.endpoints.unix}`].filter(Boolean) : [];
  return (
    <header className="top-bar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Greyward
      </div>
      <div className="top-bar-status">
        {endpoints.length > 0 && <span className="muted mono small">{endpoints.join('  ')}</span>}
        <a href="#/overview" className="badge-link" aria-label="Filter status, open the overview">
          <FilterStateBadge status={status} />
        </a>
      </div>
    </header>
  );
}
