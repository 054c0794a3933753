import type { Outcome, RequestPayload, RequestResult, Triplet } from '../../shared/contract.js';
import { idle, loading, settle, settled, type ApiError, type Remote } from './remote.js';
import type { SliceContext } from './slice.js';

export const PAGE_SIZE = 200;
/** Pages kept around the visible range; farther ones are dropped so 1M rows stay light. */
const KEEP_PAGES_AROUND = 15;
const MAX_PARALLEL_PAGES = 2;
const MAX_DETAILS = 50;

type PageRequest = RequestPayload<'triplets.page'>;
export type TripletSort = PageRequest['sort'];
export type TripletState = Triplet['state'];
export type TripletDetail = RequestResult<'triplets.get'>;

export interface TripletQuery {
  search: string;
  state: TripletState | 'all';
  sort: TripletSort;
  descending: boolean;
}

export interface TripletsSlice {
  query: TripletQuery;
  total: number | undefined;
  /** The search matched more than `total`: only that many are counted and shown. */
  capped: boolean;
  pages: Readonly<Record<number, readonly Triplet[]>>;
  error: ApiError | undefined;
  /** Milliseconds the last page took from request to answer. */
  lastPageMs: number | undefined;
  selected: ReadonlySet<number>;
  details: Readonly<Record<number, Remote<TripletDetail>>>;
  setQuery(change: Partial<TripletQuery>): void;
  /** Rows first..last are on screen (or about to be): fetch the pages they need. */
  ensureRange(first: number, last: number): void;
  /** Refetch what is shown, keeping the current rows until the new ones arrive. */
  refresh(): void;
  rowAt(index: number): Triplet | undefined;
  toggle(id: number): void;
  clearSelection(): void;
  passNow(ids: readonly number[]): Promise<Outcome<RequestResult<'triplets.passNow'>>>;
  remove(ids: readonly number[]): Promise<Outcome<RequestResult<'triplets.delete'>>>;
  loadDetail(id: number): Promise<void>;
}

export function createTripletsSlice({ patch, get, deps }: SliceContext<'triplets'>): TripletsSlice {
  let generation = 0;
  let wanted = { first: 0, last: PAGE_SIZE - 1 };
  const fresh = new Set<number>();
  const inFlight = new Set<number>();

  const pageRequest = (page: number): PageRequest => {
    const { search, state, sort, descending } = get().triplets.query;
    return {
      ...(search.trim() ? { search: search.trim() } : {}),
      ...(state === 'all' ? {} : { state }),
      sort,
      descending,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    };
  };

  const wantedPages = (): number[] => {
    const pages: number[] = [];
    for (let page = Math.floor(wanted.first / PAGE_SIZE); page <= Math.floor(wanted.last / PAGE_SIZE); page++) pages.push(page);
    return pages;
  };

  const fetchMissing = () => {
    const total = get().triplets.total;
    for (const page of wantedPages()) {
      if (inFlight.size >= MAX_PARALLEL_PAGES) return;
      if (fresh.has(page) || inFlight.has(page)) continue;
      if (total !== undefined && page > 0 && page * PAGE_SIZE >= total) continue;
      void fetchPage(page);
    }
  };

  async function fetchPage(page: number) {
    const started = performance.now();
    const requestedIn = generation;
    inFlight.add(page);
    const outcome = await settle(() => deps.api['triplets.page'](pageRequest(page)));
    if (requestedIn !== generation) return;
    inFlight.delete(page);
    if (!outcome.ok) {
      patch({ error: outcome.error });
      return;
    }
    fresh.add(page);
    const centre = Math.floor(wanted.first / PAGE_SIZE);
    patch((slice) => {
      const pages: Record<number, readonly Triplet[]> = { [page]: outcome.value.rows };
      for (const [key, rows] of Object.entries(slice.pages)) {
        const kept = Number(key);
        if (kept !== page && Math.abs(kept - centre) <= KEEP_PAGES_AROUND) pages[kept] = rows;
        else if (kept !== page) fresh.delete(kept);
      }
      return { pages, total: outcome.value.total, capped: outcome.value.capped, error: undefined, lastPageMs: Math.round(performance.now() - started) };
    });
    fetchMissing();
  }

  const restart = (clearRows: boolean) => {
    generation++;
    fresh.clear();
    inFlight.clear();
    if (clearRows) patch({ pages: {}, total: undefined, error: undefined });
    else patch({ error: undefined });
    fetchMissing();
  };

  return {
    query: { search: '', state: 'all', sort: 'lastSeen', descending: true },
    total: undefined,
    capped: false,
    pages: {},
    error: undefined,
    lastPageMs: undefined,
    selected: new Set(),
    details: {},
    setQuery(change) {
      patch((slice) => ({ query: { ...slice.query, ...change } }));
      wanted = { first: 0, last: PAGE_SIZE - 1 };
      restart(true);
    },
    ensureRange(first, last) {
      wanted = { first: Math.max(0, first), last: Math.max(first, last) };
      fetchMissing();
    },
    refresh() {
      restart(false);
    },
    rowAt(index) {
      return get().triplets.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE];
    },
    toggle(id) {
      patch((slice) => {
        const selected = new Set(slice.selected);
        if (!selected.delete(id)) selected.add(id);
        return { selected };
      });
    },
    clearSelection() {
      patch({ selected: new Set() });
    },
    async passNow(ids) {
      const outcome = await settle(() => deps.api['triplets.passNow']({ ids: [...ids] }));
      if (outcome.ok) {
        get().live.feed.markPassed(ids, Math.floor(Date.now() / 1000));
        get().triplets.refresh();
        for (const id of ids) if (get().triplets.details[id]) void get().triplets.loadDetail(id);
      }
      return outcome;
    },
    async remove(ids) {
      const outcome = await settle(() => deps.api['triplets.delete']({ ids: [...ids] }));
      if (outcome.ok) {
        const removed = new Set(ids);
        patch((slice) => ({ selected: new Set([...slice.selected].filter((id) => !removed.has(id))) }));
        get().triplets.refresh();
      }
      return outcome;
    },
    async loadDetail(id) {
      patch((slice) => ({ details: { ...slice.details, [id]: loading(slice.details[id] ?? idle<TripletDetail>()) } }));
      const outcome = await settle(() => deps.api['triplets.get']({ id }));
      patch((slice) => {
        const details = { ...slice.details, [id]: settled(slice.details[id] ?? idle<TripletDetail>(), outcome) };
        const ids = Object.keys(details);
        for (const old of ids.slice(0, Math.max(0, ids.length - MAX_DETAILS))) delete details[Number(old)];
        return { details };
      });
    },
  };
}
