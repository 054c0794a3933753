import type { Outcome } from '../../shared/contract.js';

export type ApiError = { message: string; details?: string[] };

/** Data fetched from main: kept while a reload runs, so screens do not flash empty. */
export interface Remote<T> {
  data: T | undefined;
  loading: boolean;
  error: ApiError | undefined;
}

export function idle<T>(): Remote<T> {
  return { data: undefined, loading: false, error: undefined };
}

export function loading<T>(previous: Remote<T>): Remote<T> {
  return { ...previous, loading: true, error: undefined };
}

export function settled<T>(previous: Remote<T>, outcome: Outcome<T>): Remote<T> {
  return outcome.ok ? { data: outcome.value, loading: false, error: undefined } : { data: previous.data, loading: false, error: outcome.error };
}

/** A request that threw (a bug in a transport) still ends as an error the screen shows. */
export async function settle<T>(request: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await request();
  } catch (error) {
    return { ok: false, error: { message: error instanceof Error ? error.message : String(error) } };
  }
}
