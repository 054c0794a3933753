import type { ApiError } from '../store/remote.js';

interface Props {
  error: ApiError;
  /** What failed, e.g. "Could not load the allow list". */
  title?: string;
  onRetry?: () => void;
}

export function ErrorNotice({ error, title, onRetry }: Props) {
  return (
    <div className="notice notice-error" role="alert">
      <div>
        {title && <strong>{title}{error.message ? ': ' : ''}</strong>}
        {error.message}
      </div>
      {error.details && error.details.length > 0 && (
        <ul className="notice-details">
          {error.details.slice(0, 20).map((detail, index) => (
            <li key={index}>{detail}</li>
          ))}
          {error.details.length > 20 && <li>… and {error.details.length - 20} more</li>}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
