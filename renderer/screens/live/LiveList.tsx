import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import type { Attempt } from '../../../shared/contract.js';
import type { Passed } from '../../live/live-feed.js';
import { formatClock } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import { deferralStatus } from './deferral-status.js';

const ROW_HEIGHT = 34;

interface LiveRowProps {
  attempt: Attempt;
  passed: Passed | undefined;
  now: number;
  selected: boolean;
  top: number;
  /** On a shared database: the column of the host whose filter decided. */
  hosts: boolean;
}

function LiveRow({ attempt, passed, now, selected, top, hosts }: LiveRowProps) {
  const status = deferralStatus(attempt, passed, now);
  const name = attempt.clientName && attempt.clientName !== 'unknown' ? attempt.clientName : '';
  return (
    <div
      role="option"
      id={`attempt-${attempt.id}`}
      aria-selected={selected}
      data-id={attempt.id}
      className={`vrow live-row${selected ? ' selected' : ''}${passed ? ' live-row-passed' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <span className="mono">{formatClock(attempt.at)}</span>
      {hosts && (
        <span className="mono ellipsis" title={attempt.filter}>
          {attempt.filter ?? '—'}
        </span>
      )}
      <span className="cell-client" title={`${attempt.clientAddress}${name ? ` (${name})` : ''}`}>
        <span className="mono">{attempt.clientAddress}</span> <span className="muted">{name || 'unknown name'}</span>
      </span>
      <span className="mono ellipsis" title={attempt.sender}>{attempt.sender || '<>'}</span>
      <span className="mono ellipsis" title={attempt.recipient}>{attempt.recipient}</span>
      <span className="numeric">{attempt.attemptNumber ?? '—'}</span>
      <span className={status.tone === 'passed' ? 'live-status pass-text' : 'live-status'} title={status.sentence}>
        {status.text}
      </span>
    </div>
  );
}

/** The streaming rows, newest first; re-renders at most once per frame (on `version`). */
export function LiveList() {
  const feed = useApp((state) => state.live.feed);
  const count = useApp((state) => state.live.visible);
  const version = useApp((state) => state.live.version);
  const selected = useApp((state) => state.live.selected);
  const select = useApp((state) => state.live.select);
  const now = useNow();
  const scroller = useRef<HTMLDivElement>(null);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    useFlushSync: false,
    getItemKey: (index) => feed.atFromNewest(index)?.id ?? -index,
  });

  useLayoutEffect(() => {
    // New rows go on top; a reader scrolled down keeps their rows in place instead of being pushed.
    const added = feed.takeAddedCount();
    const element = scroller.current;
    if (element && added > 0 && element.scrollTop > 0) element.scrollTop += added * ROW_HEIGHT;
  }, [version, feed]);

  const indexOfSelected = () => {
    if (!selected) return -1;
    for (let i = 0; i < feed.length; i++) if (feed.atFromNewest(i)?.id === selected.id) return i;
    return -1;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[event.key];
    const jump = { Home: 0, End: feed.length - 1 }[event.key];
    if (step === undefined && jump === undefined) return;
    event.preventDefault();
    const index = jump ?? Math.min(feed.length - 1, Math.max(0, indexOfSelected() + step!));
    const attempt = feed.atFromNewest(index);
    if (!attempt) return;
    select(attempt);
    virtualizer.scrollToIndex(index, { align: 'auto' });
  };

  // Attempts on a shared database say which host decided them.
  const hosts = feed.length > 0 && feed.atFromNewest(0)?.filter !== undefined;

  return (
    <div className={`vtable live-table${hosts ? ' live-table-hosts' : ''}`}>
      <div className="vhead live-row" aria-hidden="true">
        <span>Time</span>
        {hosts && <span title="The mail host whose filter decided">Host</span>}
        <span>Client</span>
        <span>Sender</span>
        <span>Recipient</span>
        <span className="numeric">Attempt</span>
        <span title="Whether the mail has got through since it was deferred, or how long until a retry passes">Status</span>
      </div>
      <div
        ref={scroller}
        className="vscroll"
        role="listbox"
        tabIndex={0}
        aria-label="Deferred attempts, newest first"
        aria-activedescendant={selected ? `attempt-${selected.id}` : undefined}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          const id = Number((event.target as HTMLElement).closest<HTMLElement>('[data-id]')?.dataset.id);
          for (const item of virtualizer.getVirtualItems()) {
            const attempt = feed.atFromNewest(item.index);
            if (attempt?.id === id) return select(attempt);
          }
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const attempt = feed.atFromNewest(item.index);
            return attempt ? <LiveRow key={item.key} attempt={attempt} passed={feed.passedOf(attempt)} now={now} selected={attempt.id === selected?.id} top={item.start} hosts={hosts} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}
