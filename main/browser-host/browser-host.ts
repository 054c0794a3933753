import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../shared/contract.js';
import { dispatch, type Handlers } from '../api/dispatch.js';
import { buildContentSecurityPolicy } from '../security/csp.js';
import { isLoopbackHost, isLoopbackOrigin, parseRequestTarget, quoteTarget, rawResponse } from './request-checks.js';

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
  /** Incoming WebSocket messages larger than this close their connection (an import sends at most 5000 entries). */
  maxMessageBytes?: number;
  /** Where refused requests and failed connections are reported, one line each. */
  log?: (message: string) => void;
}

export interface BrowserHost {
  url: string;
  token: string;
  /** Sends an event to every connected page. */
  broadcast<N extends EventName>(event: N, payload: EventPayload<N>): void;
  close(): Promise<void>;
}

interface ClientMessage {
  id: string | number | null;
  request: string;
  payload: unknown;
}

/** A contract request as a page sends it, or undefined (with the id to answer, if it had one). */
function parseClientMessage(text: string): { message?: ClientMessage; id: ClientMessage['id'] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { id: null };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { id: null };
  const { id, request, payload } = value as Record<string, unknown>;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
  if (typeof request !== 'string') return { id: validId };
  return { message: { id: validId, request, payload }, id: validId };
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
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

  const log = options.log ?? (() => undefined);

  const server = http.createServer((request, response) => {
    const target = parseRequestTarget(request.url);
    if (!target) {
      log(`browser host: refused a malformed request ${request.method ?? ''} ${quoteTarget(request.url)}`);
      response.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('malformed request');
      return;
    }
    if (!isLoopbackHost(request)) {
      response.writeHead(421, { 'content-type': 'text/plain', connection: 'close' }).end('open the address greyward ui printed');
      return;
    }
    const path = target.path === '/' ? '/index.html' : target.path;
    const file = normalize(join(root, path));
    if (request.method !== 'GET' || !file.startsWith(root + sep) || !isFile(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === '/index.html' && !sameToken(target.query.get('token'), token)) {
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
    createReadStream(file)
      .on('error', (error) => {
        log(`browser host: could not read ${path}: ${error.message}`);
        response.destroy();
      })
      .pipe(response);
  });
  // What Node's HTTP parser refuses (a broken request line or header) never reaches the handler.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    log(`browser host: refused a malformed request (${error.code ?? error.message})`);
    socket.end(rawResponse(400, 'Bad Request'));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 8 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    // Until ws takes it over, the socket is this handler's: a reset must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const target = parseRequestTarget(request.url);
    if (!target) {
      log(`browser host: refused a malformed request upgrade ${quoteTarget(request.url)}`);
      socket.end(rawResponse(400, 'Bad Request'));
      return;
    }
    if (!isLoopbackHost(request)) {
      socket.end(rawResponse(421, 'Misdirected Request'));
      return;
    }
    const fromPage = !request.headers.origin || isLoopbackOrigin(request.headers.origin);
    if (target.path !== '/api' || !sameToken(target.query.get('token'), token) || !fromPage) {
      socket.end(rawResponse(403, 'Forbidden'));
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // ws closes the connection itself (1007 invalid UTF-8, 1009 too big); without a listener the error would end the process.
      ws.on('error', (error) => log(`browser host: closed a WebSocket: ${error.message}`));
      const reply = (id: ClientMessage['id'], outcome: unknown) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, outcome }));
      };
      ws.on('message', (data) => {
        const { message, id } = parseClientMessage(String(data));
        if (!message) {
          reply(id, { ok: false, error: { message: 'not a request: send {"id", "request", "payload"} as JSON' } });
          return;
        }
        dispatch(options.handlers, message.request, message.payload)
          .then((outcome) => reply(message.id, outcome))
          .catch((error: Error) => {
            log(`browser host: could not answer ${message.request.slice(0, 80)}: ${error.message}`);
            reply(message.id, { ok: false, error: { message: 'internal error' } });
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
