import { useApp } from '../store/store.js';

/** Results of actions that finished: short-lived, announced to screen readers. */
export function Notices() {
  const notices = useApp((state) => state.ui.notices);
  const dismiss = useApp((state) => state.ui.dismiss);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`toast toast-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
          <div>
            {notice.text}
            {notice.details && (
              <ul className="notice-details">
                {notice.details.slice(0, 5).map((detail, index) => (
                  <li key={index}>{detail}</li>
                ))}
              </ul>
            )}
          </div>
          <button type="button" className="button-icon" aria-label="Dismiss" onClick={() => dismiss(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
