import { useState } from 'react';
import type { Suspect } from '../../../shared/contract.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { describeReason } from '../../format/reasons.js';
import { formatFull, formatSpan, formatWhen } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import { FixDialog } from './FixDialog.js';
import { ClassPills, CredibilityMeter } from './SuspectList.js';
import { CLASS_INFO, CREDIBILITY_BASE_POINTS, credibilityOf, fixesFor, formatWeight, secondsLeftNow, silentSenderAdvice, windowLeft, type FixInfo } from './suspect-format.js';

function Evidence({ suspect, now }: { suspect: Suspect; now: number }) {
  const first = suspect.evidence[0]?.at ?? suspect.firstSeen;
  // On a shared database: which host's filter decided each attempt.
  const hosts = suspect.evidence.some((attempt) => attempt.filter !== undefined);
  return (
    <table className="table table-compact evidence-table" aria-label="Every attempt">
      <thead>
        <tr>
          <th scope="col">Time</th>
          {hosts && <th scope="col">Host</th>}
          <th scope="col">Client</th>
          <th scope="col">Decision</th>
        </tr>
      </thead>
      <tbody>
        {suspect.evidence.map((attempt, index) => (
          <tr key={`${attempt.tripletId}-${attempt.at}-${index}`}>
            <td title={formatFull(attempt.at)}>
              {formatWhen(attempt.at, now)}
              <div className="muted small">{index === 0 ? 'first' : `+${formatSpan(attempt.at - first)}`}</div>
            </td>
            {hosts && <td className="mono">{attempt.filter ?? '—'}</td>}
            <td className="mono">
              {attempt.clientAddress}
              <div className="muted small">{attempt.clientName && attempt.clientName !== 'unknown' ? attempt.clientName : 'no verified name'}</div>
            </td>
            <td>
              <span className={`pill pill-action-${attempt.action}`}>{attempt.action}</span>
              <div className="muted small">{describeReason(attempt.reason)}</div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The evidence, the credibility and the fixes of one suspect. */
export function SuspectDetail({ suspect, stillListed, answeredAt, onClose }: { suspect: Suspect; stillListed: boolean; answeredAt: number; onClose: () => void }) {
  const traceMail = useApp((state) => state.insight.traceMail);
  const maxAge = useApp((state) => state.settings.values?.maxAge ?? DEFAULT_SETTINGS.maxAge);
  const now = useNow();
  const [fix, setFix] = useState<FixInfo>();
  const left = windowLeft(secondsLeftNow(suspect, answeredAt, now));
  const credibility = credibilityOf(suspect.credibility);
  const last = suspect.evidence.at(-1);
  const fixes = fixesFor(suspect, maxAge);
  const advice = silentSenderAdvice(suspect, maxAge);

  return (
    <aside className="detail-panel suspect-detail" aria-label="Selected mail at risk">
      <div className="card-title-row">
        <h2>Mail at risk</h2>
        <button type="button" className="button-icon" aria-label="Close the detail panel" onClick={onClose}>
          ×
        </button>
      </div>
      {!stillListed && (
        <div className="notice notice-success" role="status">
          No longer on the list: it was let through, has passed, or no longer fits what this list shows.
        </div>
      )}
      <p className="suspect-summary">{suspect.summary}</p>
      <dl className="facts">
        <dt>Sender</dt>
        <dd className="mono">{suspect.sender || '<> (a bounce)'}</dd>
        <dt>Recipient</dt>
        <dd className="mono">{suspect.recipient}</dd>
        <dt>Why at risk</dt>
        <dd>
          <ClassPills suspect={suspect} all />
          <div className="small">
            {suspect.classes.map((c) => (
              <div key={c}>
                <strong>{CLASS_INFO[c].label}</strong>: {CLASS_INFO[c].meaning}
              </div>
            ))}
          </div>
        </dd>
        <dt>Retry window</dt>
        <dd>
          <span className={`mono tone-${left.tone}`}>{left.open ? `closes in ${left.text}` : left.text}</span>
          <div className="muted small">
            {left.open ? `at ${formatFull(suspect.windowEndsAt)}; after it, a retry starts greylisting over` : 'a retry now starts greylisting over; the sender has most likely given up'}
          </div>
        </dd>
        <dt>Client networks</dt>
        <dd className="mono">
          {suspect.clientGroups.map((group) => (
            <div key={group}>{group}</div>
          ))}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {suspect.attempts}, first {formatWhen(suspect.firstSeen, now)}, last {formatWhen(suspect.lastSeen, now)}
        </dd>
      </dl>

      <h3>Credibility</h3>
      <div className="credibility-head">
        <CredibilityMeter credibility={suspect.credibility} />
        <span className={`tone-${credibility.tone}`}>{credibility.word}</span>
      </div>
      <ul className="credibility-reasons" aria-label="Why this credibility">
        <li className="muted">
          <span className="weight mono">{CREDIBILITY_BASE_POINTS}</span> to start with, for any deferred mail
        </li>
        {suspect.credibilityReasons.map((reason) => (
          <li key={reason.reason}>
            <span className={`weight mono ${reason.weight < 0 ? 'tone-bad' : 'tone-good'}`}>{formatWeight(reason.weight)}</span> {reason.reason}
          </li>
        ))}
      </ul>

      <h3>Let it through</h3>
      {advice && <p className="small fix-advice">{advice}</p>}
      <div className="fix-list">
        {fixes.map((info) => (
          <div key={info.fix} className="fix">
            <button
              type="button"
              className={info.fix === 'pass-now' ? 'button button-primary' : 'button'}
              disabled={!!info.unavailable || !stillListed}
              title={info.unavailable ?? (!stillListed ? 'This mail is no longer on the list' : undefined)}
              onClick={() => setFix(info)}
            >
              {info.label}
            </button>
            <span className="muted small">{info.unavailable ? `Not possible: ${info.unavailable}.` : info.effect}</span>
          </div>
        ))}
      </div>

      <div className="card-title-row">
        <h3>Evidence</h3>
        <button
          type="button"
          className="button button-small"
          onClick={() => {
            traceMail({ sender: suspect.sender, recipient: suspect.recipient, ...(last ? { clientAddress: last.clientAddress, clientName: last.clientName } : {}) });
            window.location.hash = '#/trace';
          }}
        >
          Trace this mail
        </button>
      </div>
      <Evidence suspect={suspect} now={now} />
      {fix && <FixDialog suspect={suspect} fix={fix} onClose={() => setFix(undefined)} />}
    </aside>
  );
}
