import type { Attempt, Triplet } from '../../shared/contract.js';
import { describeReason } from '../format/reasons.js';
import { formatFull, formatSpan, formatWhen } from '../format/time.js';
import { useApp } from '../store/store.js';
import { TripletStateBadge } from './TripletStateBadge.js';

/** Seconds until a retry passes, counted down from the current delay setting (the filter's own rule). */
function secondsLeft(triplet: Triplet, now: number, delay: number | undefined): number | null {
  if (triplet.state !== 'waiting') return null;
  if (delay === undefined) return triplet.secondsLeft;
  return Math.max(0, triplet.firstSeen + delay - now);
}

export function TripletSummary({ triplet, now }: { triplet: Triplet; now: number }) {
  const delay = useApp((state) => state.settings.values?.delay);
  const left = secondsLeft(triplet, now, delay);
  return (
    <dl className="facts">
      <dt>State</dt>
      <dd>
        <TripletStateBadge state={triplet.state} />
        {left !== null && <span className="muted"> {left === 0 ? 'the next retry passes' : `a retry passes in ${formatSpan(left)}`}</span>}
        {triplet.passedAt !== null && <span className="muted"> passed {formatWhen(triplet.passedAt, now)}</span>}
      </dd>
      <dt>Client network</dt>
      <dd className="mono">{triplet.clientGroup}</dd>
      <dt>Sender</dt>
      <dd className="mono">{triplet.sender || '<>'}</dd>
      <dt>Recipient</dt>
      <dd className="mono">{triplet.recipient}</dd>
      <dt>First seen</dt>
      <dd title={formatFull(triplet.firstSeen)}>{formatWhen(triplet.firstSeen, now)}</dd>
      <dt>Last seen</dt>
      <dd title={formatFull(triplet.lastSeen)}>{formatWhen(triplet.lastSeen, now)}</dd>
      <dt>Attempts</dt>
      <dd>
        {triplet.attempts}
        {triplet.earlyAttempts > 0 && <span className="warning-text"> ({triplet.earlyAttempts} retried before the delay)</span>}
      </dd>
    </dl>
  );
}

/** What an attempt tells an administrator beyond its action: early retries and address changes. */
function attemptNote(attempt: Attempt, previous: Attempt | undefined): string | undefined {
  const notes: string[] = [];
  if (previous && attempt.clientAddress !== previous.clientAddress) notes.push(`from another address than before (${previous.clientAddress})`);
  if (attempt.action === 'defer' && previous && attempt.delay !== null && attempt.delay > 0) notes.push(`retried too early: ${formatSpan(attempt.delay)} still to wait`);
  return notes.length ? notes.join('; ') : undefined;
}

export function AttemptTimeline({ attempts, now }: { attempts: readonly Attempt[]; now: number }) {
  if (attempts.length === 0) return <p className="muted">No attempts recorded for this triplet (the attempt log may have been trimmed).</p>;
  const sorted = [...attempts].sort((a, b) => a.at - b.at || a.id - b.id);
  const first = sorted[0]!.at;
  return (
    <ol className="timeline">
      {sorted.map((attempt, index) => {
        const note = attemptNote(attempt, sorted[index - 1]);
        return (
          <li key={attempt.id} className={`timeline-item timeline-${attempt.action}`}>
            <div className="timeline-head">
              <span className={`pill pill-action-${attempt.action}`}>{attempt.action}</span>
              <span title={formatFull(attempt.at)}>{formatWhen(attempt.at, now)}</span>
              {index > 0 && <span className="muted">+{formatSpan(attempt.at - first)}</span>}
            </div>
            <div className="mono small">
              {attempt.clientAddress}
              {attempt.clientName && attempt.clientName !== 'unknown' ? ` (${attempt.clientName})` : ''}
            </div>
            {attempt.reason && <div className="small muted">{describeReason(attempt.reason)}</div>}
            {note && <div className="small warning-text">{note}</div>}
          </li>
        );
      })}
    </ol>
  );
}
