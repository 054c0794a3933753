import { useEffect, useMemo, useState } from 'react';
import type { ListEntryView } from '../../../shared/contract.js';
import { LIST_KINDS, type ListKind } from '../../../shared/lists.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { SearchBox } from '../../components/SearchBox.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { KIND_LABELS, LIST_MEANING } from '../../format/list-kinds.js';
import { formatCount } from '../../format/time.js';
import { useApp } from '../../store/store.js';
import { AddEntryForm } from './AddEntryForm.js';
import { DeleteEntriesDialog } from './DeleteEntriesDialog.js';
import { EditEntryDialog } from './EditEntryDialog.js';
import { ExportDialog } from './ExportDialog.js';
import { ImportDialog } from './ImportDialog.js';
import { ListTable } from './ListTable.js';
import { ListTabs } from './ListTabs.js';

export function ListsScreen() {
  const active = useApp((state) => state.lists.active);
  const setActive = useApp((state) => state.lists.setActive);
  const search = useApp((state) => state.lists.search);
  const setSearch = useApp((state) => state.lists.setSearch);
  const kind = useApp((state) => state.lists.kind);
  const setKind = useApp((state) => state.lists.setKind);
  const entries = useApp((state) => state.lists.entries);
  const selectedCount = useApp((state) => state.lists.selected.size);
  const load = useApp((state) => state.lists.load);
  const mode = useApp((state) => state.settings.values?.mode);
  const [dialog, setDialog] = useState<'import' | 'export' | 'delete'>();
  const [editing, setEditing] = useState<ListEntryView>();

  useEffect(() => {
    void load();
  }, [load]);

  const counts = useMemo(() => {
    const byKind = new Map<ListKind, number>();
    for (const entry of entries.data ?? []) byKind.set(entry.kind, (byKind.get(entry.kind) ?? 0) + 1);
    return byKind;
  }, [entries.data]);
  const shown = useMemo(() => (kind === 'all' ? (entries.data ?? []) : (entries.data ?? []).filter((entry) => entry.kind === kind)), [entries.data, kind]);

  return (
    <div className="screen-fill">
      <ScreenHeader title="Lists" subtitle={LIST_MEANING[active]}>
        <button type="button" className="button" onClick={() => setDialog('import')}>
          Import…
        </button>
        <button type="button" className="button" onClick={() => setDialog('export')}>
          Export…
        </button>
      </ScreenHeader>
      <ListTabs active={active} onChange={setActive} />
      <div id="list-panel" role="tabpanel" aria-labelledby={`list-tab-${active}`} className="tab-panel">
        {active === 'grey' && mode === 'everyone' && (
          <div className="notice notice-info">The policy mode is "everyone": every client is greylisted and this list has no effect until the mode is "grey-list-only" (Policy screen).</div>
        )}
        <AddEntryForm list={active} />
        <div className="toolbar">
          <SearchBox value={search} onChange={setSearch} debounceMs={250} label={`Search the ${active} list`} placeholder="Search entries and comments" />
          <select className="input" aria-label="Show entries of kind" value={kind} onChange={(event) => setKind(event.target.value as ListKind | 'all')}>
            <option value="all">All kinds ({formatCount(entries.data?.length ?? 0)})</option>
            {LIST_KINDS.map((value) => (
              <option key={value} value={value}>
                {KIND_LABELS[value]} ({formatCount(counts.get(value) ?? 0)})
              </option>
            ))}
          </select>
          <button type="button" className="button button-danger-outline" disabled={selectedCount === 0} onClick={() => setDialog('delete')}>
            Delete selected{selectedCount ? ` (${formatCount(selectedCount)})` : ''}
          </button>
          {entries.loading && entries.data && <span className="toolbar-info">Updating…</span>}
        </div>
        {entries.error && <ErrorNotice error={entries.error} title={`Could not load the ${active} list`} onRetry={() => void load()} />}
        {!entries.data ? (
          entries.loading && <Loading what={`the ${active} list`} />
        ) : shown.length > 0 ? (
          <ListTable entries={shown} onEdit={setEditing} />
        ) : search || kind !== 'all' ? (
          <Empty title="No entry matches">Clear the search or choose another kind.</Empty>
        ) : (
          <Empty title={`The ${active} list is empty`}>Add an entry above, or import a postgrey file.</Empty>
        )}
      </div>
      {dialog === 'import' && <ImportDialog list={active} onClose={() => setDialog(undefined)} />}
      {dialog === 'export' && <ExportDialog list={active} onClose={() => setDialog(undefined)} />}
      {dialog === 'delete' && <DeleteEntriesDialog entries={entries.data ?? []} onClose={() => setDialog(undefined)} />}
      {editing && <EditEntryDialog key={editing.id} entry={editing} onClose={() => setEditing(undefined)} />}
    </div>
  );
}
