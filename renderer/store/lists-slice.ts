import type { ListEntryView, Outcome, RequestPayload, RequestResult } from '../../shared/contract.js';
import type { ListKind, ListName } from '../../shared/lists.js';
import type { ListFileFormat } from '../../shared/list-files.js';
import { idle, loading, settle, settled, type Remote } from './remote.js';
import type { SliceContext } from './slice.js';

export type NewEntries = RequestPayload<'lists.add'>['entries'];

export interface ListsSlice {
  active: ListName;
  search: string;
  kind: ListKind | 'all';
  entries: Remote<ListEntryView[]>;
  /** Which list and search the entries were loaded for, so a late answer cannot show the wrong list. */
  loadedFor: string;
  selected: ReadonlySet<number>;
  setActive(list: ListName): void;
  setSearch(search: string): void;
  setKind(kind: ListKind | 'all'): void;
  load(): Promise<void>;
  toggle(id: number): void;
  selectOnly(ids: readonly number[]): void;
  add(entries: NewEntries, source: string): Promise<Outcome<RequestResult<'lists.add'>>>;
  edit(id: number, change: Omit<RequestPayload<'lists.edit'>, 'id'>): Promise<Outcome<RequestResult<'lists.edit'>>>;
  remove(ids: readonly number[]): Promise<Outcome<RequestResult<'lists.remove'>>>;
  exportList(list: ListName, format: ListFileFormat): Promise<Outcome<RequestResult<'lists.export'>>>;
  /** lists.add in chunks the contract accepts, reporting progress; stops at the first error. */
  importEntries(entries: NewEntries, source: string, onProgress: (done: number) => void): Promise<ImportResult>;
}

export const IMPORT_CHUNK = 5000;

export interface ImportResult {
  added: number;
  duplicates: number;
  /** Entries sent in chunks that were accepted before a failure. */
  done: number;
  error: { message: string; details?: string[] } | undefined;
}

const queryKey = (list: ListName, search: string) => `${list}\u0000${search}`;

export function createListsSlice({ patch, get, deps }: SliceContext<'lists'>): ListsSlice {
  const reloadIfShown = (lists: readonly ListName[]) => {
    if (lists.includes(get().lists.active)) void get().lists.load();
  };
  return {
    active: 'allow',
    search: '',
    kind: 'all',
    entries: idle(),
    loadedFor: '',
    selected: new Set(),
    setActive(active) {
      patch({ active, selected: new Set(), entries: idle() });
      void get().lists.load();
    },
    setSearch(search) {
      patch({ search });
      void get().lists.load();
    },
    setKind(kind) {
      patch({ kind, selected: new Set() });
    },
    async load() {
      const { active, search } = get().lists;
      const key = queryKey(active, search);
      patch((slice) => ({ entries: loading(slice.entries) }));
      const outcome = await settle(() => deps.api['lists.get']({ list: active, ...(search.trim() ? { search: search.trim() } : {}) }));
      const now = get().lists;
      if (queryKey(now.active, now.search) !== key) return;
      const ids = outcome.ok ? new Set(outcome.value.map((entry) => entry.id)) : undefined;
      patch((slice) => ({
        entries: settled(slice.entries, outcome),
        loadedFor: key,
        selected: ids ? new Set([...slice.selected].filter((id) => ids.has(id))) : slice.selected,
      }));
    },
    toggle(id) {
      patch((slice) => {
        const selected = new Set(slice.selected);
        if (!selected.delete(id)) selected.add(id);
        return { selected };
      });
    },
    selectOnly(ids) {
      patch({ selected: new Set(ids) });
    },
    async add(entries, source) {
      const outcome = await settle(() => deps.api['lists.add']({ entries, source }));
      if (outcome.ok) reloadIfShown(entries.map((entry) => entry.list));
      return outcome;
    },
    async edit(id, change) {
      const outcome = await settle(() => deps.api['lists.edit']({ id, ...change }));
      if (outcome.ok) reloadIfShown([outcome.value.list]);
      return outcome;
    },
    async remove(ids) {
      const outcome = await settle(() => deps.api['lists.remove']({ ids: [...ids] }));
      if (outcome.ok) {
        const removed = new Set(ids);
        patch((slice) => ({ selected: new Set([...slice.selected].filter((id) => !removed.has(id))) }));
        void get().lists.load();
      }
      return outcome;
    },
    exportList(list, format) {
      return settle(() => deps.api['lists.export']({ list, format }));
    },
    async importEntries(entries, source, onProgress) {
      const result: ImportResult = { added: 0, duplicates: 0, done: 0, error: undefined };
      for (let start = 0; start < entries.length; start += IMPORT_CHUNK) {
        const chunk = entries.slice(start, start + IMPORT_CHUNK);
        const outcome = await settle(() => deps.api['lists.add']({ entries: chunk, source }));
        if (!outcome.ok) {
          result.error = outcome.error;
          break;
        }
        result.added += outcome.value.added;
        result.duplicates += outcome.value.duplicates;
        result.done += chunk.length;
        onProgress(result.done);
      }
      if (result.done > 0) reloadIfShown([...new Set(entries.map((entry) => entry.list))]);
      return result;
    },
  };
}
