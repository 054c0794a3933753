import { useEffect } from 'react';
import { alertKey } from '../../../shared/at-risk.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import { mailLine, secondsLeftNow, windowLeft } from './suspect-format.js';

/**
 * Credible mail whose retry window closes within hours, on every screen: the in-app counterpart
 * of the desktop app's OS notification (the browser host asks for no notification permission).
 * It stays until the mail is fixed or its window closes, or until dismissed; a new one brings it back.
 */
export function AtRiskBanner() {
  const watchAlerts = useApp((state) => state.insight.watchAlerts);
  const all = useApp((state) => state.insight.aboutToBeLost);
  const answeredAt = useApp((state) => state.insight.aboutToBeLostAt);
  const dismissed = useApp((state) => state.insight.dismissedAlerts);
  const dismiss = useApp((state) => state.insight.dismissAlerts);
  const onAtRisk = useApp((state) => state.ui.screen === 'at-risk');
  const select = useApp((state) => state.insight.select);
  const now = useNow();

  useEffect(() => watchAlerts(), [watchAlerts]);

  const shown = all.filter((suspect) => !dismissed.has(alertKey(suspect)));
  if (shown.length === 0 || answeredAt === undefined) return null;
  const soonest = [...shown].sort((a, b) => a.secondsLeft - b.secondsLeft);
  const left = windowLeft(secondsLeftNow(soonest[0]!, answeredAt, now));
  const named = soonest.slice(0, 2).map(mailLine).join('; ');
  const more = soonest.length > 2 ? ` and ${soonest.length - 2} more` : '';
  return (
    <div className="banner banner-at-risk" role="alert" aria-label="Mail about to be lost">
      <span className="banner-at-risk-text">
        <strong>{soonest.length === 1 ? 'Mail about to be lost' : `${soonest.length} mails about to be lost`}:</strong>{' '}
        <span className="mono">{named}</span>
        {more}. {soonest.length === 1 ? 'Its' : 'The first'} retry window closes in <strong className="mono">{left.open ? left.text : 'moments'}</strong>;
        after that a retry starts greylisting over.
      </span>
      {onAtRisk ? (
        // On the list it may sit far down (the list is most credible first): open the soonest.
        <button type="button" className="button button-small button-primary" onClick={() => select(soonest[0])}>
          Show {soonest.length === 1 ? 'it' : 'the first'}
        </button>
      ) : (
        <a className="button button-small button-primary" href="#/at-risk" onClick={() => select(soonest[0])}>
          Review on At risk
        </a>
      )}
      <button type="button" className="button button-small" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
