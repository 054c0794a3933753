import { useRef, type KeyboardEvent } from 'react';
import { LIST_NAMES, type ListName } from '../../../shared/lists.js';
import { LIST_LABELS } from '../../format/list-kinds.js';

/** Allow / grey / deny as an ARIA tab list: arrow keys move between tabs. */
export function ListTabs({ active, onChange }: { active: ListName; onChange: (list: ListName) => void }) {
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const onKeyDown = (event: KeyboardEvent) => {
    const index = LIST_NAMES.indexOf(active);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: LIST_NAMES.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const list = LIST_NAMES[(next + LIST_NAMES.length) % LIST_NAMES.length]!;
    onChange(list);
    tabs.current[LIST_NAMES.indexOf(list)]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Lists" onKeyDown={onKeyDown}>
      {LIST_NAMES.map((list, index) => (
        <button
          key={list}
          ref={(element) => {
            tabs.current[index] = element;
          }}
          type="button"
          role="tab"
          id={`list-tab-${list}`}
          aria-selected={list === active}
          aria-controls="list-panel"
          tabIndex={list === active ? 0 : -1}
          className={`tab tab-${list}${list === active ? ' active' : ''}`}
          onClick={() => onChange(list)}
        >
          {LIST_LABELS[list]} list
        </button>
      ))}
    </div>
  );
}
