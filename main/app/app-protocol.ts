import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { protocol } from 'electron';
import { APP_ORIGIN, APP_SCHEME, appAssetPath, CONTENT_SECURITY_POLICY, contentTypeOf } from '../security/index.js';

/** Before app ready: app:// is a standard, secure scheme, so that the renderer has a real origin (ES modules, fetch, CSP 'self'). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  ]);
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** After app ready: serves the built renderer from `rendererDir` at app://greyward/, nothing outside it. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
    const file = appAssetPath(request.url, rendererDir, APP_ORIGIN);
    if (!file) return plain(404, 'not found');
    let served = file;
    let body: Buffer;
    try {
      body = await readFile(served);
    } catch {
      // A route of the single-page app (no file extension) gets the page; a missing asset is a 404.
      if (extname(file) !== '') return plain(404, 'not found');
      served = join(rendererDir, 'index.html');
      try {
        body = await readFile(served);
      } catch {
        return plain(404, 'the renderer is not built: run `npm run build`');
      }
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(served) },
    });
  });
}
