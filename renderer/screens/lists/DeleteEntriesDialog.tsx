import type { ListEntryView } from '../../../shared/contract.js';
import { counted } from '../../../shared/plural.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { formatCount } from '../../format/time.js';
import { useApp } from '../../store/store.js';

const NAMED = 8;

export function DeleteEntriesDialog({ entries, onClose }: { entries: readonly ListEntryView[]; onClose: () => void }) {
  const selected = useApp((state) => state.lists.selected);
  const active = useApp((state) => state.lists.active);
  const remove = useApp((state) => state.lists.remove);
  const notify = useApp((state) => state.ui.notify);
  const doomed = entries.filter((entry) => selected.has(entry.id));
  return (
    <ConfirmDialog
      title={`Delete ${counted(doomed.length, 'entry', 'entries')}?`}
      confirmLabel="Delete"
      danger
      blocked={doomed.length === 0}
      onClose={onClose}
      onConfirm={async () => {
        const outcome = await remove(doomed.map((entry) => entry.id));
        if (!outcome.ok) return outcome.error;
        notify({ tone: 'success', text: `Deleted ${counted(outcome.value.removed, 'entry', 'entries')} from the ${active} list.` });
        return undefined;
      }}
    >
      <p>These entries leave the {active} list; the filter stops applying them within a second:</p>
      <ul className="entry-preview">
        {doomed.slice(0, NAMED).map((entry) => (
          <li key={entry.id}>
            <span className="mono">{entry.pattern}</span> <span className="muted">{entry.kind}</span>
          </li>
        ))}
        {doomed.length > NAMED && <li className="muted">… and {formatCount(doomed.length - NAMED)} more</li>}
      </ul>
    </ConfirmDialog>
  );
}
