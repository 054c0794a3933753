/**
 * The app's own origin. The renderer is served from a custom standard scheme (`app://greyward/`)
 * rather than file://, so that it has one stable origin: CSP 'self', navigation checks and the
 * IPC sender check all compare against it, and file:// (where every local file shares one
 * origin) never has to be trusted.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'greyward';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Longest URL any of the checks looks at; longer ones are refused rather than parsed. */
export const MAX_URL_LENGTH = 8192;

/**
 * `scheme://host[:port]` of a URL, or undefined when it does not parse, is too long, carries
 * credentials or has no host. Computed by hand because WHATWG URL gives custom schemes such as
 * app: an opaque origin ("null") in Node, whereas Chromium treats a registered standard scheme
 * as a tuple origin.
 */
export function originOf(url: string): string | undefined {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  if (parsed.host === '') return undefined;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** Whether `url` (a URL or a bare origin) belongs to `appOrigin`. */
export function isSameOrigin(url: string, appOrigin: string): boolean {
  const origin = originOf(url);
  const app = originOf(appOrigin);
  return origin !== undefined && app !== undefined && origin === app;
}
