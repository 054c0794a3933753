import { isSameOrigin, MAX_URL_LENGTH } from './origin.js';

/**
 * The desktop app's answers to what a renderer may do. Pure functions, so that the rules are
 * unit-tested without Electron; main/app only wires them to will-navigate, setWindowOpenHandler,
 * the permission handlers and ipcMain.
 */

/** will-navigate / will-frame-navigate / will-redirect: only within the app's own origin. */
export function isAllowedNavigation(url: string, appOrigin: string): boolean {
  return isSameOrigin(url, appOrigin);
}

export interface WindowOpenDecision {
  /** Greyward never opens a second Electron window for content. */
  action: 'deny';
  /** An external http(s) link to hand to the OS browser instead (shell.openExternal), or null. */
  openExternally: string | null;
}

const EXTERNAL_PROTOCOLS = new Set(['https:', 'http:']);

/**
 * window.open and target=_blank: always denied. A plain http(s) link (documentation, an RFC, a
 * sender's web site) goes to the OS browser, normalised; anything else (file:, javascript:,
 * data:, custom schemes such as mailto: or a registered app handler, links carrying credentials)
 * is simply dropped, because shell.openExternal on those can run local programs.
 */
export function windowOpenDecision(url: string): WindowOpenDecision {
  const deny: WindowOpenDecision = { action: 'deny', openExternally: null };
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return deny;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return deny;
  }
  if (!EXTERNAL_PROTOCOLS.has(parsed.protocol) || parsed.hostname === '') return deny;
  if (parsed.username !== '' || parsed.password !== '') return deny;
  return { action: 'deny', openExternally: parsed.href };
}

/**
 * Web permissions the renderer may get. Everything is denied except writing (sanitised) text to
 * the clipboard from the app's own origin: "copy this main.cf line / this sender" is part of the
 * job, and a write-only, sanitised clipboard reveals nothing. Notifications are denied too: the
 * OS notifications Greyward shows (the filter crashed) come from the main process through
 * Electron's Notification, which needs no web permission, so the renderer has no use for one.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function permissionDecision(permission: string, requestingUrl: string, appOrigin: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isSameOrigin(requestingUrl, appOrigin);
}

/**
 * IPC sender check: the frame that sent the message must show the app's own origin. Call it with
 * event.senderFrame.url (the frame's URL now, not the one it was created with); a missing frame
 * (navigated away or destroyed) is untrusted.
 */
export function isTrustedSender(frameUrl: string | null | undefined, appOrigin: string): boolean {
  return typeof frameUrl === 'string' && isSameOrigin(frameUrl, appOrigin);
}

const schemeOf = (url: string) => /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();

/** A blob: URL the app's own page created (blob:app://greyward/<uuid>). */
function isOwnBlob(url: string, appOrigin: string): boolean {
  return schemeOf(url) === 'blob' && isSameOrigin(url.slice('blob:'.length), appOrigin);
}

/**
 * Requests the renderer's session may make (session.webRequest.onBeforeRequest): the app's own
 * origin and its own blob: URLs (the list export), DevTools, and data: (images the CSP allows).
 * No remote content, no file://.
 */
export function isAllowedRequest(url: string, appOrigin: string): boolean {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return false;
  if (isSameOrigin(url, appOrigin) || isOwnBlob(url, appOrigin)) return true;
  const scheme = schemeOf(url);
  return scheme === 'devtools' || scheme === 'data';
}

/** Downloads (session will-download): only what the page itself made, such as an exported list; never a remote file. */
export function isAllowedDownload(url: string, appOrigin: string): boolean {
  return typeof url === 'string' && url.length <= MAX_URL_LENGTH && isOwnBlob(url, appOrigin);
}
