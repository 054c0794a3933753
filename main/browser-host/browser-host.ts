import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../shared/contract.js';
import { dispatch, type Handlers } from '../api/dispatch.js';
import { buildContentSecurityPolicy } from '../security/csp.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface BrowserHostOptions {
  handlers: Handlers;
  /** The built renderer (index.html and its assets). */
  staticDir: string;
  port?: number;
  /** Incoming WebSocket messages larger than this are refused (an import sends at most 5000 entries). */
  maxMessageBytes?: number;
}

export interface BrowserHost {
  url: string;
  token: string;
  /** Sends an event to every connected page. */
  broadcast<N extends EventName>(event: N, payload: EventPayload<N>): void;
  close(): Promise<void>;
}

function isLoopbackOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves the renderer and the contract over a loopback WebSocket, for Chromium in tests and for
 * administrators who reach a headless mail server through an SSH tunnel. Loopback only, and
 * nothing but the static files answers without the random token.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = randomBytes(24).toString('base64url');
  const root = resolve(options.staticDir);
  if (!existsSync(join(root, 'index.html'))) throw new Error(`the renderer is not built (${join(root, 'index.html')} is missing): run \`npm run build\``);
  const sockets = new Set<WebSocket>();
  let contentSecurityPolicy = '';

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = normalize(join(root, path));
    if (request.method !== 'GET' || !file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === '/index.html' && !sameToken(url.searchParams.get('token'), token)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('open the address greyward ui printed, token included');
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(response);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 8 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // A page from a loopback origin: this host's own, or the local end of an SSH tunnel (any port).
    const fromPage = !request.headers.origin || isLoopbackOrigin(request.headers.origin);
    if (url.pathname !== '/api' || !sameToken(url.searchParams.get('token'), token) || !fromPage) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        let message: { id?: unknown; request?: unknown; payload?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          ws.send(JSON.stringify({ id: null, outcome: { ok: false, error: { message: 'not JSON' } } }));
          return;
        }
        void dispatch(options.handlers, String(message.request), message.payload).then((outcome) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: message.id, outcome }));
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  contentSecurityPolicy = buildContentSecurityPolicy([`ws://127.0.0.1:${port}`]);
  return {
    url: `${origin}/?token=${token}`,
    token,
    broadcast: (event, payload) => {
      const text = JSON.stringify({ event, payload });
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
