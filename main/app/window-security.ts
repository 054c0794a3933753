import { shell, type Session, type WebContents } from 'electron';
import {
  APP_ORIGIN,
  isAllowedDownload,
  isAllowedNavigation,
  isAllowedRequest,
  permissionDecision,
  windowOpenDecision,
  withCspHeader,
} from '../security/index.js';

/** Every webContents (the window, and any the app never meant to create): no navigation away, no new windows, no webviews. */
export function hardenWebContents(contents: WebContents): void {
  const guard = (event: { url: string; preventDefault(): void }) => {
    if (!isAllowedNavigation(event.url, APP_ORIGIN)) event.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-frame-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(decision.openExternally).catch(() => undefined);
    return { action: decision.action };
  });
}

/** The session's rules: permissions, no remote requests or downloads, the CSP on every response. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(permissionDecision(permission, details.requestingUrl, APP_ORIGIN)));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionDecision(permission, requestingOrigin, APP_ORIGIN));
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url, APP_ORIGIN) }));
  session.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCspHeader(details.responseHeaders) }));
  // The list export saves a blob the page made (Electron asks where); nothing else is downloaded.
  session.on('will-download', (event, item) => {
    if (!isAllowedDownload(item.getURL(), APP_ORIGIN)) event.preventDefault();
  });
}
