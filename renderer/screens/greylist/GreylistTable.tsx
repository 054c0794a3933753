import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Triplet } from '../../../shared/contract.js';
import { TripletStateBadge } from '../../components/TripletStateBadge.js';
import { formatCount, formatFull, formatSpan, formatWhen } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import type { TripletSort } from '../../store/triplets-slice.js';

const ROW_HEIGHT = 32;
/** Browsers cap an element's height near 33.5M px (Chromium): at 32 px a row, about 1M rows scroll. */
export const MAX_SCROLL_ROWS = 1_000_000;

const COLUMNS: Array<{ label: string; sort?: TripletSort; numeric?: boolean }> = [
  { label: '' },
  { label: 'State' },
  { label: 'Client network', sort: 'clientGroup' },
  { label: 'Sender', sort: 'sender' },
  { label: 'Recipient', sort: 'recipient' },
  { label: 'First seen', sort: 'firstSeen' },
  { label: 'Last seen', sort: 'lastSeen' },
  { label: 'Attempts', sort: 'attempts', numeric: true },
];

function SortHeader({ column }: { column: (typeof COLUMNS)[number] }) {
  const query = useApp((state) => state.triplets.query);
  const setQuery = useApp((state) => state.triplets.setQuery);
  if (!column.sort) return <span role="columnheader">{column.label}</span>;
  const sorted = query.sort === column.sort;
  const sort = column.sort;
  return (
    <span role="columnheader" aria-sort={sorted ? (query.descending ? 'descending' : 'ascending') : 'none'} className={column.numeric ? 'numeric' : undefined}>
      <button type="button" className="sort-button" onClick={() => setQuery({ sort, descending: sorted ? !query.descending : sort !== 'sender' && sort !== 'recipient' && sort !== 'clientGroup' })}>
        {column.label}
        <span aria-hidden="true" className="sort-mark">{sorted ? (query.descending ? '▼' : '▲') : ''}</span>
      </button>
    </span>
  );
}

function TripletRow({ triplet, index, top, active, now }: { triplet: Triplet | undefined; index: number; top: number; active: boolean; now: number }) {
  const selected = useApp((state) => (triplet ? state.triplets.selected.has(triplet.id) : false));
  const toggle = useApp((state) => state.triplets.toggle);
  const style = { transform: `translateY(${top}px)`, height: ROW_HEIGHT };
  if (!triplet) return <div role="row" aria-rowindex={index + 2} className="vrow grey-row placeholder" style={style}><span className="skeleton" /></div>;
  const className = ['vrow', 'grey-row', selected && 'selected', active && 'active'].filter(Boolean).join(' ');
  return (
    <div role="row" aria-rowindex={index + 2} aria-selected={selected} id={`triplet-row-${index}`} data-index={index} className={className} style={style}>
      <span role="gridcell">
        <input type="checkbox" tabIndex={-1} checked={selected} onChange={() => toggle(triplet.id)} aria-label={`Select triplet ${triplet.sender} → ${triplet.recipient}`} />
      </span>
      <span role="gridcell">
        <TripletStateBadge state={triplet.state} />
      </span>
      <span role="gridcell" className="mono ellipsis" title={triplet.clientGroup}>{triplet.clientGroup}</span>
      <span role="gridcell" className="mono ellipsis" title={triplet.sender}>{triplet.sender || '<>'}</span>
      <span role="gridcell" className="mono ellipsis" title={triplet.recipient}>{triplet.recipient}</span>
      <span role="gridcell" title={formatFull(triplet.firstSeen)}>{formatWhen(triplet.firstSeen, now)}</span>
      <span role="gridcell" title={formatFull(triplet.lastSeen)}>{formatWhen(triplet.lastSeen, now)}</span>
      <span role="gridcell" className="numeric" title={triplet.state === 'waiting' && triplet.secondsLeft ? `a retry passes in ${formatSpan(triplet.secondsLeft)}` : undefined}>
        {formatCount(triplet.attempts)}
        {triplet.earlyAttempts > 0 && <span className="warning-text" title={`${triplet.earlyAttempts} retried before the delay`}> ({triplet.earlyAttempts} early)</span>}
      </span>
    </div>
  );
}

export function GreylistTable({ onOpen }: { onOpen: (triplet: Triplet) => void }) {
  const total = useApp((state) => Math.min(MAX_SCROLL_ROWS, state.triplets.total ?? 0));
  const pages = useApp((state) => state.triplets.pages);
  const ensureRange = useApp((state) => state.triplets.ensureRange);
  const rowAt = useApp((state) => state.triplets.rowAt);
  const toggle = useApp((state) => state.triplets.toggle);
  const query = useApp((state) => state.triplets.query);
  const now = useNow(30_000);
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const virtualizer = useVirtualizer({ count: total, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20, useFlushSync: false });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;

  useEffect(() => ensureRange(first, last), [first, last, ensureRange]);
  useEffect(() => {
    setActive(0);
    virtualizer.scrollToOffset(0);
  }, [query, virtualizer]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const visibleRows = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 320) / ROW_HEIGHT) - 1);
    const target = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + visibleRows, PageUp: active - visibleRows, Home: 0, End: total - 1 }[event.key];
    const triplet = rowAt(active);
    if (target !== undefined) {
      event.preventDefault();
      const next = Math.max(0, Math.min(total - 1, target));
      setActive(next);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    } else if (event.key === 'Enter' && triplet) {
      event.preventDefault();
      onOpen(triplet);
    } else if (event.key === ' ' && triplet) {
      event.preventDefault();
      toggle(triplet.id);
    }
  };

  return (
    <div className="vtable" role="grid" aria-rowcount={total + 1} aria-label="Triplets">
      <div role="row" aria-rowindex={1} className="vhead grey-row">
        {COLUMNS.map((column, index) => (
          <SortHeader key={index} column={column} />
        ))}
      </div>
      <div
        ref={scroller}
        className="vscroll"
        tabIndex={0}
        aria-activedescendant={`triplet-row-${active}`}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          const target = event.target as HTMLElement;
          if (target.closest('input')) return;
          const index = Number(target.closest<HTMLElement>('[data-index]')?.dataset.index);
          const triplet = Number.isInteger(index) ? rowAt(index) : undefined;
          if (triplet) {
            setActive(index);
            onOpen(triplet);
          }
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} data-pages={Object.keys(pages).length}>
          {items.map((item) => (
            <TripletRow key={item.key} triplet={rowAt(item.index)} index={item.index} top={item.start} active={item.index === active} now={now} />
          ))}
        </div>
      </div>
    </div>
  );
}
