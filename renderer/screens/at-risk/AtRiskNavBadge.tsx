import { counted } from '../../../shared/plural.js';
import { SUSPECT_LIST_LIMIT } from '../../store/insight-slice.js';
import { useApp } from '../../store/store.js';

/**
 * How many mails are at risk, beside "At risk" in the navigation; red when one is about to be
 * lost. Hidden from the link's accessible name ("At risk"): the banner and the screen say it in words.
 */
export function AtRiskNavBadge() {
  const count = useApp((state) => state.insight.atRiskCount);
  const urgent = useApp((state) => state.insight.aboutToBeLost.length);
  if (!count) return null;
  return (
    <span className={urgent ? 'nav-count nav-count-urgent' : 'nav-count'} aria-hidden="true" title={`${count >= SUSPECT_LIST_LIMIT ? 'more than ' : ''}${counted(count, 'mail')} at risk${urgent ? `, ${urgent} about to be lost` : ''}`}>
      {count >= SUSPECT_LIST_LIMIT ? `${SUSPECT_LIST_LIMIT - 1}+` : count}
    </span>
  );
}
