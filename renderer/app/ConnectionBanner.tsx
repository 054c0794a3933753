import { useEffect, useState } from 'react';
import { useApp } from '../store/store.js';
import type { ConnectionMonitor } from '../api/connection.js';

/** Shown while the browser host's WebSocket is down; Electron's preload never is. */
export function ConnectionBanner({ connection }: { connection: ConnectionMonitor }) {
  const state = useApp((s) => s.ui.connection);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.phase !== 'waiting') return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state]);

  if (state.phase === 'open') return null;
  if (state.phase === 'unusable') {
    return (
      <div className="banner banner-error" role="alert">
        {state.reason}
      </div>
    );
  }
  if (state.phase === 'connecting') {
    return (
      <div className="banner banner-warning" role="status">
        {state.attempt > 1 ? `Reconnecting to the Greyward host (attempt ${state.attempt})…` : 'Connecting to the Greyward host…'}
      </div>
    );
  }
  const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
  return (
    <div className="banner banner-error" role="alert">
      <span>
        {state.reason}. Retrying in {seconds}s. What you see may be out of date, and an action fails unless the connection is back within 10 seconds.
        {state.attempt >= 3 && ' If greyward ui was restarted, open the new address it printed: the token changes with every start.'}
      </span>
      <button type="button" className="button button-small" onClick={() => connection.retryNow()}>
        Retry now
      </button>
    </div>
  );
}
