import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

async function host(): Promise<BrowserHost> {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-host-'));
  const staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Greyward</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  const session = await openAdminSession({ store: new SqliteStore(openDatabase(join(dir, 'g.db'))), supervisor: { status: () => status, restart: async () => status, onStatus: () => () => undefined }, emit: () => undefined });
  const running = await startBrowserHost({ handlers: session.handlers, staticDir: `${staticDir}/` });
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
});
