import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { REQUEST_NAMES, type EventName, type EventPayload, type Outcome } from '../../shared/contract.js';
import { dispatch, type Handlers } from '../api/dispatch.js';
import { APP_ORIGIN, isTrustedSender } from '../security/index.js';

/** The IPC channel of a request; the preload invokes the same names. */
export const requestChannel = (name: string) => `greyward:${name}`;
/** The one channel events travel on: (event name, payload). */
export const EVENT_CHANNEL = 'greyward:event';

const REFUSED: Outcome<never> = { ok: false, error: { message: "refused: the request did not come from Greyward's own window" } };
const NOT_READY: Outcome<never> = { ok: false, error: { message: 'Greyward is still opening its database; try again in a moment' } };

/**
 * Whether an IPC message comes from the main frame of Greyward's window, showing the app's own
 * origin (not a subframe, not a page it was navigated to, not another webContents).
 */
export function isFromAppWindow(event: IpcMainInvokeEvent, window: () => WebContents | undefined): boolean {
  const contents = window();
  if (!contents || contents.isDestroyed() || event.sender.id !== contents.id) return false;
  let frame: IpcMainInvokeEvent['senderFrame'];
  try {
    frame = event.senderFrame;
  } catch {
    return false;
  }
  return frame !== null && frame.parent === null && isTrustedSender(frame.url, APP_ORIGIN);
}

/**
 * One ipcMain.handle per request of the contract: check the sender, then dispatch (which parses
 * the payload and turns failures into data). Returns the function that removes them.
 */
export function registerRequestHandlers(handlers: () => Handlers | undefined, window: () => WebContents | undefined): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), async (event, payload: unknown) => {
      if (!isFromAppWindow(event, window)) return REFUSED;
      const current = handlers();
      if (!current) return NOT_READY;
      return dispatch(current, name, payload);
    });
  }
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(requestChannel(name));
  };
}

/** Pushes an event to the window, if it is still there. */
export function sendEvent<N extends EventName>(window: WebContents | undefined, event: N, payload: EventPayload<N>): void {
  if (window && !window.isDestroyed()) window.send(EVENT_CHANNEL, event, payload);
}
