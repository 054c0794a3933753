import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FilterStatus } from '../../shared/contract.js';
import { openAdminSession } from '../api/admin-session.js';
import { openDatabase } from '../store/database.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const status: FilterStatus = { state: 'stopped', pid: null, endpoints: {}, startedAt: null, version: 'test', restarts: 0, message: '' };

const logged: string[] = [];

async function host(): Promise<BrowserHost> {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-host-'));
  const staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Greyward</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  const session = await openAdminSession({ store: new SqliteStore(openDatabase(join(dir, 'g.db'))), supervisor: { status: () => status, restart: async () => status, onStatus: () => () => undefined }, emit: () => undefined });
  const running = await startBrowserHost({ handlers: session.handlers, staticDir: `${staticDir}/`, log: (line) => logged.push(line) });
  cleanups.push(async () => {
    await running.close();
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return running;
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

/** Sends raw bytes as one HTTP request, as any local program (or a page's <img>) can; resolves with the status line. */
function rawRequest(url: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      // An accepted upgrade keeps its connection open: the status line is the answer.
      if (answer.includes('\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n', 1)[0]!));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(text)}`)));
    socket.write(text);
  });
}

function get(url: string, target: string, headers: Record<string, string> = {}): Promise<string> {
  const host = new URL(url).host;
  const lines = Object.entries({ host, connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return rawRequest(url, `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
}

function upgrade(url: string, target: string, headers: Record<string, string> = {}): Promise<string> {
  return get(url, target, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers });
}

/** The host still serves its page and answers the contract. */
async function stillUp(h: BrowserHost): Promise<void> {
  expect((await fetch(h.url)).status).toBe(200);
  const ws = await connect(h.url.replace('http', 'ws').replace('/?', '/api?'));
  expect(await call(ws, 99, 'lists.get', { list: 'deny' })).toMatchObject({ ok: true });
  ws.close();
}

function call(ws: WebSocket, id: number, request: string, payload: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id: number; outcome: unknown };
      if (message.id !== id) return;
      ws.off('message', onMessage);
      resolve(message.outcome);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, request, payload }));
  });
}

describe('browser host', () => {
  it('binds loopback only and prints the page address with its token', async () => {
    const h = await host();
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('serves the page only with the token, with a strict CSP, and nothing outside the renderer', async () => {
    const h = await host();
    const page = await fetch(h.url);
    expect(page.status).toBe(200);
    const port = new URL(h.url).port;
    expect(page.headers.get('content-security-policy')).toMatch(new RegExp(`script-src 'self';.*connect-src 'self' ws://127\\.0\\.0\\.1:${port};`));
    expect((await fetch(h.url.replace(/token=.*/, 'token=wrong'))).status).toBe(403);
    expect((await fetch(new URL('/', h.url))).status).toBe(403);
    expect((await fetch(new URL('/assets/app.js', h.url))).status).toBe(200);
    expect((await fetch(new URL('/../secret.txt', h.url))).status).toBe(404);
    expect((await fetch(new URL('/%2e%2e/secret.txt', h.url))).status).toBe(404);
  });

  it('answers the contract over the WebSocket, with errors as data', async () => {
    const h = await host();
    const ws = await connect(h.url.replace('http', 'ws').replace('/?', '/api?'));
    cleanups.push(() => ws.close());
    expect(await call(ws, 1, 'lists.add', { entries: [{ list: 'deny', kind: 'sender-domain', pattern: 'spam.example' }], source: 'ui' })).toEqual({ ok: true, value: { added: 1, duplicates: 0 } });
    expect(await call(ws, 2, 'lists.get', { list: 'deny' })).toMatchObject({ ok: true, value: [{ pattern: 'spam.example' }] });
    expect(await call(ws, 3, 'lists.add', { entries: [{ list: 'deny', kind: 'client-address', pattern: '10.0.0.0/99' }], source: 'ui' })).toMatchObject({ ok: false });
    expect(await call(ws, 4, 'filter.status', 'junk')).toMatchObject({ ok: false, error: { message: 'invalid filter.status request' } });
  });

  it('pushes events to connected pages', async () => {
    const h = await host();
    const ws = await connect(h.url.replace('http', 'ws').replace('/?', '/api?'));
    cleanups.push(() => ws.close());
    const received = new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
    h.broadcast('filter.status', { ...status, state: 'running' });
    expect(await received).toMatchObject({ event: 'filter.status', payload: { state: 'running' } });
  });

  it('refuses a WebSocket without the token or from another origin', async () => {
    const h = await host();
    const api = h.url.replace('http', 'ws').replace('/?', '/api?');
    await expect(connect(api.replace(/token=.*/, 'token=nope'))).rejects.toThrow(/403/);
    await expect(connect(api.replace(/\?token=.*/, ''))).rejects.toThrow(/403/);
    await expect(connect(api, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await expect(connect(api, { origin: 'http://192.0.2.1:8088' })).rejects.toThrow(/403/);
    const ok = await connect(api, { origin: new URL(h.url).origin });
    ok.close();
    // The local end of an SSH tunnel: another loopback name and port.
    const tunnelled = await connect(api, { origin: 'http://localhost:9000' });
    tunnelled.close();
  });

  it.each([
    ['an undecodable path', 'GET', '/%zz'],
    ['an undecodable path with the token', 'GET', '/%E0%A4%A?token=x'],
    ['a scheme-relative target', 'GET', '//['],
    ['an absolute target that is no URL', 'GET', 'http://['],
    ['an absolute target', 'GET', 'http://127.0.0.1/'],
    ['a WebSocket upgrade to a scheme-relative target', 'UPGRADE', '//['],
    ['a WebSocket upgrade to an undecodable path', 'UPGRADE', '/%zz'],
  ])('answers 400 to %s, logs it, and stays up', async (_name, kind, target) => {
    const h = await host();
    logged.length = 0;
    const status = kind === 'UPGRADE' ? await upgrade(h.url, target) : await get(h.url, target);
    expect(status).toBe('HTTP/1.1 400 Bad Request');
    expect(logged.join('\n')).toMatch(/refused a malformed request/);
    await stillUp(h);
  });

  it('answers 400 to a request the HTTP parser refuses, and stays up', async () => {
    const h = await host();
    logged.length = 0;
    expect(await rawRequest(h.url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nbad header\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(logged.join('\n')).toMatch(/refused a malformed request/);
    await stillUp(h);
  });

  it('refuses a Host it is not reached by (DNS rebinding), even with the token, on the page and the WebSocket', async () => {
    const h = await host();
    const page = `/?token=${h.token}`;
    const api = `/api?token=${h.token}`;
    expect(await get(h.url, page, { host: 'evil.example' })).toBe('HTTP/1.1 421 Misdirected Request');
    expect(await get(h.url, page, { host: `evil.example:${new URL(h.url).port}` })).toBe('HTTP/1.1 421 Misdirected Request');
    expect(await get(h.url, '/assets/app.js', { host: 'evil.example' })).toBe('HTTP/1.1 421 Misdirected Request');
    expect(await get(h.url, page, { host: '127.0.0.2' })).toBe('HTTP/1.1 421 Misdirected Request');
    expect(await upgrade(h.url, api, { host: 'evil.example' })).toBe('HTTP/1.1 421 Misdirected Request');
    expect(await rawRequest(h.url, `GET ${page} HTTP/1.0\r\n\r\n`)).toBe('HTTP/1.1 421 Misdirected Request');
    // Its own address, and the local end of an SSH tunnel (a loopback name, any port).
    expect(await get(h.url, page)).toBe('HTTP/1.1 200 OK');
    expect(await get(h.url, page, { host: 'localhost:9000' })).toBe('HTTP/1.1 200 OK');
    expect(await get(h.url, page, { host: '[::1]:9000' })).toBe('HTTP/1.1 200 OK');
    expect(await upgrade(h.url, api, { host: 'localhost:9000' })).toBe('HTTP/1.1 101 Switching Protocols');
    await stillUp(h);
  });

  it('answers a message that is no request (null, an array, a number, no request name) with an error and keeps the connection', async () => {
    const h = await host();
    const ws = await connect(h.url.replace('http', 'ws').replace('/?', '/api?'));
    cleanups.push(() => ws.close());
    for (const [text, id] of [['null', null], ['[]', null], ['7', null], ['"lists.get"', null], ['{"id":8}', 8], ['{"id":{},"request":1}', null]] as const) {
      const reply = new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
      ws.send(text);
      expect(await reply).toMatchObject({ id, outcome: { ok: false, error: { message: expect.stringMatching(/not a request/) } } });
    }
    expect(await call(ws, 5, 'lists.get', { list: 'deny' })).toMatchObject({ ok: true });
    await stillUp(h);
  });

  it.each([
    ['invalid UTF-8 in a text frame', (ws: WebSocket) => ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), 1007],
    ['a 9 MB frame', (ws: WebSocket) => ws.send(Buffer.alloc(9 * 1024 * 1024, 0x20)), 1009],
  ])('closes the connection that sends %s, logs it, and stays up', async (_name, send, code) => {
    const h = await host();
    logged.length = 0;
    const ws = await connect(h.url.replace('http', 'ws').replace('/?', '/api?'));
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
    send(ws);
    expect(await closed).toBe(code);
    await expect.poll(() => logged.join('\n')).toMatch(/closed a WebSocket/);
    await stillUp(h);
  });
});
