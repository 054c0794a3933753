import type { IncomingMessage } from 'node:http';

/** What a request asks for: its decoded path and its query. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * The path and query of an origin-form request target ("/path?query"), or undefined for anything
 * else: an absolute or scheme-relative target (never sent by a browser to a server that is not a
 * proxy), one that is no URL, or a path whose escapes do not decode. Never throws.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget | undefined {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    const url = new URL(target, 'http://localhost');
    return { path: decodeURIComponent(url.pathname), query: url.searchParams };
  } catch {
    return undefined;
  }
}

/** Loopback names a browser may use to reach the host: its own address, or the local end of an SSH tunnel. */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/**
 * Whether the Host header names a loopback address (any port: a tunnel may forward another one).
 * A page on a name that merely resolves to 127.0.0.1 (DNS rebinding) is refused, token or not.
 */
export function isLoopbackHost(request: IncomingMessage): boolean {
  const host = request.headers.host;
  return typeof host === 'string' && LOOPBACK_HOST.test(host);
}

/** Whether an Origin header is a page from a loopback address: this host's own, or the local end of an SSH tunnel (any port). */
export function isLoopbackOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

/** A request target as a log line may quote it: short, and without control characters. */
export function quoteTarget(target: string | undefined): string {
  const text = target ?? '';
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** A complete HTTP response to write on a raw socket (an upgrade that is refused). */
export function rawResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}
