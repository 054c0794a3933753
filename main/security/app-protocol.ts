import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { MAX_URL_LENGTH, originOf } from './origin.js';

/**
 * The file under `rootDir` that an app:// request asks for, or null when the URL is for another
 * origin or would leave `rootDir` (.., encoded slashes, NUL). "/" is index.html.
 */
export function appAssetPath(requestUrl: string, rootDir: string, appOrigin: string): string | null {
  if (typeof requestUrl !== 'string' || requestUrl.length > MAX_URL_LENGTH) return null;
  const origin = originOf(requestUrl);
  if (origin === undefined || origin !== originOf(appOrigin)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  if (pathname === '' || pathname.endsWith('/')) pathname += 'index.html';
  const root = resolve(rootDir);
  const file = resolve(root, `.${pathname.startsWith('/') ? '' : '/'}${pathname}`);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) return null;
  return file;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type to serve a renderer file with (served with nosniff, so it must be right). */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
