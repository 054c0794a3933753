import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { ListEntryView } from '../../../shared/contract.js';
import { unicodePattern } from '../../../shared/lists.js';
import { unshowableTime } from '../../../shared/printable.js';
import { KIND_LABELS } from '../../format/list-kinds.js';
import { formatCount, formatFull, formatWhen } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';

const ROW_HEIGHT = 36;

/** A stored time; one written by other means that no calendar reads is said in words, never thrown on. */
function When({ at, now, className }: { at: number; now: number; className?: string }) {
  const unshowable = unshowableTime(at);
  if (unshowable) return <span className={className ?? 'muted'} title={`stored as ${at}`}>{unshowable}</span>;
  return <span className={className} title={formatFull(at)}>{formatWhen(at, now)}</span>;
}

function Expiry({ expiresAt, now }: { expiresAt: number | null; now: number }) {
  if (expiresAt === null) return <span className="muted">never</span>;
  if (expiresAt <= now && !unshowableTime(expiresAt)) return <span className="warning-text" title={formatFull(expiresAt)}>expired</span>;
  return <When at={expiresAt} now={now} className={expiresAt <= now ? 'warning-text' : undefined} />;
}

/** The pattern as stored, and beside it the Unicode form of an internationalised domain. */
function Pattern({ entry }: { entry: ListEntryView }) {
  const unicode = unicodePattern(entry.kind, entry.pattern);
  if (!unicode) {
    return (
      <span role="gridcell" className="mono ellipsis" title={entry.pattern}>
        {entry.pattern}
      </span>
    );
  }
  return (
    <span role="gridcell" className="two-forms" title={`${entry.pattern} (${unicode})`}>
      <span className="mono ellipsis">{entry.pattern}</span>
      <span className="ellipsis small muted">{unicode}</span>
    </span>
  );
}

function EntryRow({ entry, selected, top, now, onEdit }: { entry: ListEntryView; selected: boolean; top: number; now: number; onEdit: (entry: ListEntryView) => void }) {
  const toggle = useApp((state) => state.lists.toggle);
  return (
    <div role="row" className={selected ? 'vrow list-row selected' : 'vrow list-row'} style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}>
      <span role="gridcell">
        <input type="checkbox" checked={selected} onChange={() => toggle(entry.id)} aria-label={`Select ${entry.pattern}`} />
      </span>
      <span role="gridcell" className="ellipsis small" title={KIND_LABELS[entry.kind]}>{KIND_LABELS[entry.kind]}</span>
      <Pattern entry={entry} />
      <span role="gridcell" className="ellipsis muted" title={entry.comment}>{entry.comment}</span>
      <span role="gridcell" className="numeric">{formatCount(entry.hits)}</span>
      <span role="gridcell">{entry.lastHitAt ? <When at={entry.lastHitAt} now={now} /> : <span className="muted">never</span>}</span>
      <span role="gridcell" className="ellipsis small" title={entry.source}>{entry.source}</span>
      <span role="gridcell"><Expiry expiresAt={entry.expiresAt} now={now} /></span>
      <span role="gridcell">
        <button type="button" className="button button-small" aria-label={`Edit ${entry.pattern}`} title="Change the pattern, comment or expiry" onClick={() => onEdit(entry)}>
          Edit
        </button>
      </span>
    </div>
  );
}

export function ListTable({ entries, onEdit }: { entries: readonly ListEntryView[]; onEdit: (entry: ListEntryView) => void }) {
  const selected = useApp((state) => state.lists.selected);
  const selectOnly = useApp((state) => state.lists.selectOnly);
  const now = useNow(30_000);
  const scroller = useRef<HTMLDivElement>(null);
  const selectAll = useRef<HTMLInputElement>(null);
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    useFlushSync: false,
    getItemKey: (index) => entries[index]?.id ?? index,
  });
  const selectedShown = entries.reduce((count, entry) => count + (selected.has(entry.id) ? 1 : 0), 0);
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = selectedShown > 0 && selectedShown < entries.length;
  }, [selectedShown, entries.length]);

  return (
    <div className="vtable" role="grid" aria-rowcount={entries.length + 1} aria-label="List entries">
      <div role="row" className="vhead list-row">
        <span role="columnheader">
          <input
            ref={selectAll}
            type="checkbox"
            aria-label="Select all shown entries"
            checked={entries.length > 0 && selectedShown === entries.length}
            onChange={(event) => selectOnly(event.target.checked ? entries.map((entry) => entry.id) : [])}
          />
        </span>
        <span role="columnheader">Kind</span>
        <span role="columnheader">Entry</span>
        <span role="columnheader">Comment</span>
        <span role="columnheader" className="numeric">Hits</span>
        <span role="columnheader">Last hit</span>
        <span role="columnheader">Source</span>
        <span role="columnheader">Expires</span>
        <span role="columnheader">
          <span className="visually-hidden">Actions</span>
        </span>
      </div>
      <div ref={scroller} className="vscroll" role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const entry = entries[item.index];
            return entry ? <EntryRow key={item.key} entry={entry} selected={selected.has(entry.id)} top={item.start} now={now} onEdit={onEdit} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}
