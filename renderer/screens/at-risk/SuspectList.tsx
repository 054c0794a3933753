import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { Suspect } from '../../../shared/contract.js';
import { formatCount, formatWhen } from '../../format/time.js';
import { useNow } from '../../format/use-now.js';
import { useApp } from '../../store/store.js';
import { CLASS_INFO, credibilityOf, networksShort, secondsLeftNow, windowLeft } from './suspect-format.js';

const ROW_HEIGHT = 58;

export function CredibilityMeter({ credibility }: { credibility: number }) {
  const { percent, word, tone } = credibilityOf(credibility);
  return (
    <span className="credibility" title={`Credibility ${percent}: ${word}`}>
      <span className={`meter meter-${tone}`} aria-hidden="true">
        <span className="meter-fill" style={{ width: percent }} />
      </span>
      <span className="credibility-value">{percent}</span>
    </span>
  );
}

export function ClassPills({ suspect, all }: { suspect: Pick<Suspect, 'primary' | 'classes'>; all?: boolean }) {
  const others = suspect.classes.filter((c) => c !== suspect.primary);
  return (
    <span className="class-pills">
      <span className={`pill pill-class pill-class-${suspect.primary}`} title={CLASS_INFO[suspect.primary].meaning}>
        {CLASS_INFO[suspect.primary].label}
      </span>
      {all
        ? others.map((c) => (
            <span key={c} className={`pill pill-class pill-class-${c} pill-secondary`} title={CLASS_INFO[c].meaning}>
              {CLASS_INFO[c].label}
            </span>
          ))
        : others.length > 0 && (
            <span className="muted small" title={others.map((c) => CLASS_INFO[c].label).join(', ')}>
              +{others.length}
            </span>
          )}
    </span>
  );
}

function SuspectRow({ suspect, top, selected, answeredAt, now }: { suspect: Suspect; top: number; selected: boolean; answeredAt: number; now: number }) {
  const left = windowLeft(secondsLeftNow(suspect, answeredAt, now));
  const networks = networksShort(suspect.clientGroups);
  return (
    <div
      role="option"
      id={`suspect-${suspect.id}`}
      aria-selected={selected}
      data-id={suspect.id}
      className={['vrow', 'suspect-row', selected && 'selected', !left.open && 'suspect-closed'].filter(Boolean).join(' ')}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <CredibilityMeter credibility={suspect.credibility} />
      <span className="two-lines">
        <span className="mono ellipsis" title={suspect.sender || '<> (a bounce)'}>{suspect.sender || '<>'}</span>
        <span className="mono ellipsis muted" title={suspect.recipient}>to {suspect.recipient}</span>
      </span>
      <span className="two-lines">
        <ClassPills suspect={suspect} />
        <span className="ellipsis muted small" title={suspect.summary}>{suspect.summary}</span>
      </span>
      <span className="two-lines">
        <span className="mono ellipsis" title={suspect.clientGroups.join('\n')}>{networks.first}</span>
        <span className="muted small">{networks.more ? `and ${networks.more} more` : '\u00a0'}</span>
      </span>
      <span className="numeric">{formatCount(suspect.attempts)}</span>
      <span className="two-lines numeric">
        <span className={`mono tone-${left.tone}`}>{left.text}</span>
        <span className="muted small">{left.open ? `until ${formatWhen(suspect.windowEndsAt, now)}` : 'most likely lost'}</span>
      </span>
    </div>
  );
}

/** The suspects as the backend sorted them (open windows first, most credible first), virtualised. */
export function SuspectList({ suspects, answeredAt }: { suspects: readonly Suspect[]; answeredAt: number }) {
  const selected = useApp((state) => state.insight.selected);
  const select = useApp((state) => state.insight.select);
  const now = useNow();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: suspects.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    useFlushSync: false,
    getItemKey: (index) => suspects[index]?.id ?? -index,
  });

  // A selection made elsewhere (the banner's "Show it") is scrolled into view.
  const selectedIndex = selected ? suspects.findIndex((s) => s.id === selected.id) : -1;
  useEffect(() => {
    if (selectedIndex !== -1) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape' && selected) {
      event.preventDefault();
      select(undefined);
      return;
    }
    const current = selectedIndex;
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const target = { ArrowDown: current + 1, ArrowUp: current - 1, PageDown: current + page, PageUp: current - page, Home: 0, End: suspects.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const index = Math.max(0, Math.min(suspects.length - 1, target));
    select(suspects[index]);
  };

  return (
    <div className="vtable suspect-table">
      <div className="vhead suspect-row" aria-hidden="true">
        <span title="How likely this is legitimate mail">Credibility</span>
        <span>Sender and recipient</span>
        <span>Why at risk</span>
        <span>Client networks</span>
        <span className="numeric">Attempts</span>
        <span className="numeric" title="Until the retry window closes; after it, a retry starts greylisting over">Window closes in</span>
      </div>
      <div
        ref={scroller}
        className="vscroll"
        role="listbox"
        tabIndex={0}
        aria-label="Mail at risk, most credible first"
        aria-activedescendant={selected ? `suspect-${selected.id}` : undefined}
        onKeyDown={onKeyDown}
        onClick={(event) => {
          const id = Number((event.target as HTMLElement).closest<HTMLElement>('[data-id]')?.dataset.id);
          const suspect = suspects.find((s) => s.id === id);
          if (suspect) select(suspect);
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const suspect = suspects[item.index];
            return suspect ? <SuspectRow key={item.key} suspect={suspect} top={item.start} selected={suspect.id === selected?.id} answeredAt={answeredAt} now={now} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}
