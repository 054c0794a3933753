import type { EventName, EventPayload, GreywardApi, Outcome, RequestName, RequestPayload, RequestResult } from '../../shared/contract.js';
import type { ConnectionMonitor, ConnectionState } from './connection.js';

/**
 * The contract over the browser host's WebSocket: `{id, request, payload}` out,
 * `{id, outcome}` and `{event, payload}` in. Reconnects with backoff; a request sent while the
 * socket is down waits for it briefly, and a request in flight when it drops fails (it may or
 * may not have run, so it is never re-sent on its own).
 */

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
const QUEUE_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 60_000;

type Pending = { resolve: (outcome: Outcome<unknown>) => void; timer: ReturnType<typeof setTimeout> };
type Queued = { message: string; id: number };

export interface BrowserHostClient {
  api: GreywardApi;
  connection: ConnectionMonitor;
}

function failure(message: string): Outcome<never> {
  return { ok: false, error: { message } };
}

function isOutcome(value: unknown): value is Outcome<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  const outcome = value as { ok: unknown; error?: { message?: unknown } };
  return outcome.ok === true || (outcome.ok === false && typeof outcome.error?.message === 'string');
}

export function createBrowserHostClient(location: Pick<Location, 'protocol' | 'host' | 'search'>): BrowserHostClient {
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token ?? '')}`;

  let socket: WebSocket | undefined;
  let state: ConnectionState = token ? { phase: 'connecting', attempt: 1 } : { phase: 'unusable', reason: 'This page was opened without its access token. Open the address that `greyward ui` printed, including ?token=….' };
  let attempt = 0;
  let everOpened = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const queue: Queued[] = [];
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const reconnectListeners = new Set<() => void>();
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>();

  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const settle = (id: number, outcome: Outcome<unknown>) => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(outcome);
  };

  const onMessage = (data: unknown) => {
    if (typeof data !== 'string') return;
    let message: { id?: unknown; outcome?: unknown; event?: unknown; payload?: unknown };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      console.warn('Greyward host sent a message that is not JSON');
      return;
    }
    if (typeof message.id === 'number') {
      settle(message.id, isOutcome(message.outcome) ? message.outcome : failure('the Greyward host sent a malformed answer'));
    } else if (typeof message.event === 'string') {
      for (const listener of eventListeners.get(message.event) ?? []) listener(message.payload);
    }
  };

  const failInFlight = (reason: string) => {
    for (const [id, entry] of pending) {
      if (queue.some((queued) => queued.id === id)) continue;
      settle(id, failure(`${reason}; the request may or may not have been applied — reload to check`));
    }
  };

  const scheduleRetry = (reason: string) => {
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 10)) * (0.8 + Math.random() * 0.4);
    setState({ phase: 'waiting', retryAt: Date.now() + delay, attempt, reason });
    retryTimer = setTimeout(connect, delay);
  };

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    attempt++;
    setState({ phase: 'connecting', attempt });
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState({ phase: 'open' });
      for (const queued of queue.splice(0)) ws.send(queued.message);
      if (everOpened) for (const listener of reconnectListeners) listener();
      everOpened = true;
    };
    ws.onmessage = (event) => onMessage(event.data);
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      const reason = everOpened && attempt === 0 ? 'The connection to the Greyward host was lost' : 'Cannot reach the Greyward host';
      failInFlight(reason);
      scheduleRetry(event.reason ? `${reason}: ${event.reason}` : reason);
    };
  }

  function call(request: RequestName, payload: unknown): Promise<Outcome<unknown>> {
    if (state.phase === 'unusable') return Promise.resolve(failure(state.reason));
    const id = nextId++;
    const message = JSON.stringify({ id, request, payload });
    return new Promise((resolve) => {
      const open = socket?.readyState === WebSocket.OPEN;
      const timer = setTimeout(
        () => {
          const index = queue.findIndex((queued) => queued.id === id);
          if (index !== -1) queue.splice(index, 1);
          settle(id, failure(open ? `no answer from the Greyward host to ${request}` : `not connected to the Greyward host; ${request} was not sent`));
        },
        open ? ANSWER_TIMEOUT_MS : QUEUE_TIMEOUT_MS,
      );
      pending.set(id, { resolve, timer });
      if (open) socket!.send(message);
      else queue.push({ id, message });
    });
  }

  const api = new Proxy({} as GreywardApi, {
    get(_target, property) {
      if (property === 'on') {
        return <N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void) => {
          const set = eventListeners.get(event) ?? new Set();
          eventListeners.set(event, set);
          const wrapped = listener as (payload: unknown) => void;
          set.add(wrapped);
          return () => set.delete(wrapped);
        };
      }
      if (typeof property !== 'string' || property === 'then') return undefined;
      return <N extends RequestName>(payload: RequestPayload<N>) => call(property as N, payload) as Promise<Outcome<RequestResult<N>>>;
    },
  });

  const connection: ConnectionMonitor = {
    current: () => state,
    subscribe(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    retryNow() {
      if (state.phase === 'waiting') connect();
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
  };

  if (token) connect();
  return { api, connection };
}
