/** How the renderer is connected to main; Electron's preload is always "open". */
export type ConnectionState =
  | { phase: 'open' }
  | { phase: 'connecting'; attempt: number }
  | { phase: 'waiting'; retryAt: number; attempt: number; reason: string }
  | { phase: 'unusable'; reason: string };

export interface ConnectionMonitor {
  current(): ConnectionState;
  subscribe(listener: (state: ConnectionState) => void): () => void;
  /** Skip the backoff wait and try again now. */
  retryNow(): void;
  /** Called after a reconnect, so that views can reload what they may have missed. */
  onReconnect(listener: () => void): () => void;
}

export const ALWAYS_OPEN: ConnectionMonitor = {
  current: () => ({ phase: 'open' }),
  subscribe: () => () => undefined,
  retryNow: () => undefined,
  onReconnect: () => () => undefined,
};
