import { useEffect, useState } from 'react';
import { TRIPLET_STATES, type Triplet } from '../../../shared/contract.js';
import { counted } from '../../../shared/plural.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { SearchBox } from '../../components/SearchBox.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { formatCount } from '../../format/time.js';
import { useApp } from '../../store/store.js';
import type { TripletState } from '../../store/triplets-slice.js';
import { GreylistTable, MAX_SCROLL_ROWS } from './GreylistTable.js';
import { TripletDetailPanel } from './TripletDetailPanel.js';

type Pending = { action: 'pass' | 'delete'; ids: number[]; named: Triplet[] };

function describe(triplet: Triplet) {
  return `${triplet.clientGroup}: ${triplet.sender || '<>'} → ${triplet.recipient}`;
}

export function GreylistScreen() {
  const total = useApp((state) => state.triplets.total);
  const capped = useApp((state) => state.triplets.capped);
  const error = useApp((state) => state.triplets.error);
  const query = useApp((state) => state.triplets.query);
  const setQuery = useApp((state) => state.triplets.setQuery);
  const refresh = useApp((state) => state.triplets.refresh);
  const selected = useApp((state) => state.triplets.selected);
  const clearSelection = useApp((state) => state.triplets.clearSelection);
  const rowAt = useApp((state) => state.triplets.rowAt);
  const lastPageMs = useApp((state) => state.triplets.lastPageMs);
  const passNow = useApp((state) => state.triplets.passNow);
  const remove = useApp((state) => state.triplets.remove);
  const notify = useApp((state) => state.ui.notify);
  const [open, setOpen] = useState<Triplet>();
  const [pending, setPending] = useState<Pending>();

  useEffect(() => refresh(), [refresh]);

  const fromSelection = (action: Pending['action']) => {
    const named: Triplet[] = [];
    for (let i = 0; named.length < 8 && i < (total ?? 0) && i < 5000; i++) {
      const row = rowAt(i);
      if (row && selected.has(row.id)) named.push(row);
    }
    setPending({ action, ids: [...selected], named });
  };

  const apply = async (change: Pending) => {
    const outcome = change.action === 'pass' ? await passNow(change.ids) : await remove(change.ids);
    if (!outcome.ok) return outcome.error;
    const count = 'updated' in outcome.value ? outcome.value.updated : outcome.value.deleted;
    notify({ tone: 'success', text: `${change.action === 'pass' ? 'Passed' : 'Deleted'} ${counted(count, 'triplet')}.` });
    if (change.action === 'delete') setOpen((current) => (current && change.ids.includes(current.id) ? undefined : current));
    return undefined;
  };

  return (
    <div className="screen-fill">
      <ScreenHeader title="Greylist" subtitle="Every client network, sender and recipient triplet the filter remembers." />
      <div className="toolbar">
        <SearchBox value={query.search} onChange={(search) => setQuery({ search })} debounceMs={300} label="Search triplets" placeholder="Search sender, recipient, network" />
        <select className="input" aria-label="Show triplets in state" value={query.state} onChange={(event) => setQuery({ state: event.target.value as TripletState | 'all' })}>
          <option value="all">All states</option>
          {TRIPLET_STATES.map((state) => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </select>
        <button type="button" className="button" disabled={selected.size === 0} onClick={() => fromSelection('pass')}>
          Pass now{selected.size ? ` (${formatCount(selected.size)})` : ''}
        </button>
        <button type="button" className="button button-danger-outline" disabled={selected.size === 0} onClick={() => fromSelection('delete')}>
          Delete{selected.size ? ` (${formatCount(selected.size)})` : ''}
        </button>
        {selected.size > 0 && (
          <button type="button" className="button button-link" onClick={clearSelection}>
            Clear selection
          </button>
        )}
        <span className="toolbar-info">
          {total !== undefined && `${capped ? 'more than ' : ''}${counted(total, 'triplet')}`}
          {capped && ' match: the first ones are shown; type more to narrow'}
          {total !== undefined && total > MAX_SCROLL_ROWS && ` (the first ${formatCount(MAX_SCROLL_ROWS)} scroll; search to narrow)`}
          {lastPageMs !== undefined && <span className="muted" title="Time of the last page from the database"> · page in {lastPageMs} ms</span>}
        </span>
      </div>
      {error && <ErrorNotice error={error} title="Could not load triplets" onRetry={refresh} />}
      <div className={open ? 'split split-open' : 'split'}>
        <div className="split-main">
          {total === undefined ? (
            !error && <Loading what="triplets" />
          ) : total === 0 ? (
            query.search || query.state !== 'all' ? <Empty title="No triplet matches">Clear the search or the state filter.</Empty> : <Empty title="No triplets yet">Each first contact from a sender creates one.</Empty>
          ) : (
            <GreylistTable onOpen={setOpen} />
          )}
        </div>
        {open && (
          <TripletDetailPanel
            key={open.id}
            triplet={open}
            onClose={() => setOpen(undefined)}
            onPassNow={(triplets) => setPending({ action: 'pass', ids: triplets.map((t) => t.id), named: triplets })}
            onDelete={(triplets) => setPending({ action: 'delete', ids: triplets.map((t) => t.id), named: triplets })}
          />
        )}
      </div>
      {pending && (
        <ConfirmDialog
          title={`${pending.action === 'pass' ? 'Pass' : 'Delete'} ${counted(pending.ids.length, 'triplet')}?`}
          confirmLabel={pending.action === 'pass' ? 'Pass now' : 'Delete'}
          danger={pending.action === 'delete'}
          onClose={() => setPending(undefined)}
          onConfirm={() => apply(pending)}
        >
          <p>
            {pending.action === 'pass'
              ? 'The next retry of each of these is accepted without waiting for the delay:'
              : 'The filter forgets these; the next attempt of each starts greylisting over (a passed sender is delayed again):'}
          </p>
          <ul className="entry-preview">
            {pending.named.map((triplet) => (
              <li key={triplet.id} className="mono">
                {describe(triplet)}
              </li>
            ))}
            {pending.ids.length > pending.named.length && <li className="muted">… and {formatCount(pending.ids.length - pending.named.length)} more</li>}
          </ul>
        </ConfirmDialog>
      )}
    </div>
  );
}
