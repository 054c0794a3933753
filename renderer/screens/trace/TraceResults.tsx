import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState, type KeyboardEvent } from 'react';
import type { Attempt } from '../../../shared/contract.js';
import { describeReason } from '../../format/reasons.js';
import { shortRule } from './trace-logic.js';
import { formatClock, formatFull } from '../../format/time.js';

const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const formatDay = (unixSeconds: number) => day.format(unixSeconds * 1000);
const sameDay = (a: number, b: number) => new Date(a * 1000).toDateString() === new Date(b * 1000).toDateString();
import { useNow } from '../../format/use-now.js';

const ROW_HEIGHT = 50;

function TraceRow({ attempt, top, active, now }: { attempt: Attempt; top: number; active: boolean; now: number }) {
  const name = attempt.clientName && attempt.clientName !== 'unknown' ? attempt.clientName : 'no verified name';
  return (
    <div
      role="row"
      id={`trace-${attempt.id}`}
      data-id={attempt.id}
      aria-selected={active}
      className={active ? 'vrow trace-row selected' : 'vrow trace-row'}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <span role="gridcell" className="two-lines" title={formatFull(attempt.at)}>
        <span className="mono">{formatClock(attempt.at)}</span>
        <span className="muted small">{[sameDay(attempt.at, now) ? '' : formatDay(attempt.at), attempt.attemptNumber ? `attempt ${attempt.attemptNumber}` : ''].filter(Boolean).join(' · ') || '\u00a0'}</span>
      </span>
      <span role="gridcell" className="two-lines">
        <span className="mono ellipsis">{attempt.clientAddress}</span>
        <span className="muted small ellipsis" title={attempt.queueId ? `${name}, queue id ${attempt.queueId}` : name}>
          {name}
          {attempt.queueId ? ` · ${attempt.queueId}` : ''}
        </span>
      </span>
      <span role="gridcell" className="two-lines">
        <span className="mono ellipsis" title={attempt.sender}>{attempt.sender || '<>'}</span>
        <span className="mono ellipsis muted" title={attempt.recipient}>to {attempt.recipient}</span>
      </span>
      <span role="gridcell">
        <span className={`pill pill-action-${attempt.action}`}>{attempt.action}</span>
      </span>
      <span role="gridcell" className="two-lines">
        <span className="ellipsis" title={describeReason(attempt.reason)}>{describeReason(attempt.reason)}</span>
        <span className="mono small muted ellipsis" title={attempt.rule}>{shortRule(attempt.rule, attempt) || '\u00a0'}</span>
      </span>
    </div>
  );
}

/** Every attempt that matched, newest first; Enter or a click puts one into the simulator. */
export function TraceResults({ attempts, onPick }: { attempts: readonly Attempt[]; onPick: (attempt: Attempt) => void }) {
  const now = useNow(30_000);
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<number>();
  const virtualizer = useVirtualizer({ count: attempts.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8, useFlushSync: false, getItemKey: (i) => attempts[i]?.id ?? -i });
  const activeIndex = active === undefined ? -1 : attempts.findIndex((a) => a.id === active);

  const pick = (attempt: Attempt) => {
    setActive(attempt.id);
    onPick(attempt);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = { ArrowDown: activeIndex + 1, ArrowUp: activeIndex - 1, Home: 0, End: attempts.length - 1 }[event.key];
    if (target !== undefined) {
      event.preventDefault();
      const index = Math.max(0, Math.min(attempts.length - 1, target));
      setActive(attempts[index]?.id);
      virtualizer.scrollToIndex(index, { align: 'auto' });
    } else if (event.key === 'Enter' && activeIndex !== -1) {
      event.preventDefault();
      pick(attempts[activeIndex]!);
    }
  };

  return (
    <div className="vtable trace-table" role="grid" aria-label="Attempts found, newest first" aria-rowcount={attempts.length + 1}>
      <div role="row" className="vhead trace-row">
        <span role="columnheader">Time</span>
        <span role="columnheader">Client · queue id</span>
        <span role="columnheader">Sender and recipient</span>
        <span role="columnheader">Decision</span>
        <span role="columnheader" title="The reason, and the rule or triplet state that decided">Why, and the rule or state</span>
      </div>
      <div
        ref={scroller}
        className="vscroll"
        tabIndex={0}
        aria-activedescendant={active !== undefined ? `trace-${active}` : undefined}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          const id = Number((event.target as HTMLElement).closest<HTMLElement>('[data-id]')?.dataset.id);
          const attempt = attempts.find((a) => a.id === id);
          if (attempt) pick(attempt);
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const attempt = attempts[item.index];
            return attempt ? <TraceRow key={item.key} attempt={attempt} top={item.start} active={attempt.id === active} now={now} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}
