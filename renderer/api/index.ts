import type { GreywardApi } from '../../shared/contract.js';
import { createBrowserHostClient } from './browser-host-client.js';
import { ALWAYS_OPEN, type ConnectionMonitor } from './connection.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a plain browser. */
    greyward?: GreywardApi;
  }
}

export interface ApiConnection {
  api: GreywardApi;
  connection: ConnectionMonitor;
  transport: 'electron' | 'browser-host';
}

/** Electron's preload API when there is one, else the browser host's WebSocket. */
export function connectToMain(): ApiConnection {
  if (window.greyward) return { api: window.greyward, connection: ALWAYS_OPEN, transport: 'electron' };
  return { ...createBrowserHostClient(window.location), transport: 'browser-host' };
}
