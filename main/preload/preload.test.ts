import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES } from '../../shared/contract.js';

/**
 * The bundled preload, run in a bare V8 context with a recording stand-in for the one module a
 * sandboxed preload may require. This tests the bundle's wiring (what it exposes, what it sends
 * on which channel, what a listener receives), not a backend.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let outDir: string;
let bundle: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'greyward-preload-'));
  await build({ configFile: join(ROOT, 'vite.preload.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  bundle = readFileSync(join(outDir, 'preload.cjs'), 'utf8');
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

type Listener = (...args: unknown[]) => void;

function loadPreload() {
  const required: string[] = [];
  const invoked: unknown[][] = [];
  const channelListeners = new Map<string, Listener[]>();
  const exposed = new Map<string, unknown>();
  const ipcRenderer = {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true, value: args[0] });
    },
    on: (channel: string, listener: Listener) => {
      channelListeners.set(channel, [...(channelListeners.get(channel) ?? []), listener]);
      return ipcRenderer;
    },
    removeListener: (channel: string, listener: Listener) => {
      channelListeners.set(channel, (channelListeners.get(channel) ?? []).filter((l) => l !== listener));
      return ipcRenderer;
    },
    send: () => {
      throw new Error('the preload should not send');
    },
  };
  const electron = { ipcRenderer, contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) } };
  const module = { exports: {} };
  runInNewContext(
    bundle,
    {
      require: (name: string) => {
        required.push(name);
        if (name === 'electron') return electron;
        throw new Error(`a sandboxed preload cannot require ${name}`);
      },
      module,
      exports: module.exports,
      console,
    },
    { filename: 'preload.cjs' },
  );
  /** What main's webContents.send('greyward:event', name, payload) delivers, with the IpcRendererEvent first. */
  const emit = (channel: string, ...args: unknown[]) => {
    const fakeEvent = { sender: ipcRenderer, senderId: 0, ports: [] };
    for (const listener of channelListeners.get(channel) ?? []) listener(fakeEvent, ...args);
  };
  const api = exposed.get('greyward') as Record<string, (...args: unknown[]) => unknown>;
  return { required, invoked, channelListeners, exposed, ipcRenderer, api, emit };
}

describe('the bundled preload', () => {
  it('is one CommonJS file that requires electron and nothing else', () => {
    expect(readdirSync(outDir)).toEqual(['preload.cjs']);
    const { required } = loadPreload();
    expect(required).toEqual(['electron']);
    expect([...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(bundle).not.toMatch(/^\s*(import|export)\s/m);
    // The contract's names only, not zod and its schemas: main parses every payload anyway.
    expect(bundle).not.toMatch(/\$ZodType|ZodError|\bz\.object\(/);
    expect(bundle.length).toBeLessThan(10_000);
  });

  it('exposes window.greyward with exactly one function per contract request, and on', () => {
    const { exposed, api, ipcRenderer } = loadPreload();
    expect([...exposed.keys()]).toEqual(['greyward']);
    expect(Object.keys(api).sort()).toEqual([...REQUEST_NAMES, 'on'].sort());
    for (const value of Object.values(api)) {
      expect(typeof value).toBe('function');
      expect(value).not.toBe(ipcRenderer);
    }
    expect(Object.values(api)).not.toContain(ipcRenderer.invoke);
    expect(Object.values(api)).not.toContain(ipcRenderer.on);
  });

  it.each(REQUEST_NAMES)('%s invokes greyward:%s with the payload alone and returns the outcome', async (name) => {
    const { api, invoked } = loadPreload();
    const payload = { probe: name };
    await expect(api[name]!(payload, 'extra argument')).resolves.toEqual({ ok: true, value: `greyward:${name}` });
    expect(invoked).toEqual([[`greyward:${name}`, payload]]);
  });

  it('hands event listeners the payload only, for their event only, until they unsubscribe', () => {
    const { api, emit, channelListeners } = loadPreload();
    expect([...channelListeners.keys()]).toEqual(['greyward:event']);
    const statuses: unknown[][] = [];
    const attempts: unknown[][] = [];
    const offStatus = api.on!('filter.status', (...args: unknown[]) => statuses.push(args)) as () => void;
    api.on!('attempts.added', (...args: unknown[]) => attempts.push(args));
    // Subscribing adds no IPC listener: one for the page's lifetime.
    expect(channelListeners.get('greyward:event')).toHaveLength(1);

    const status = { state: 'running', pid: 42 };
    emit('greyward:event', 'filter.status', status);
    emit('greyward:event', 'attempts.added', [{ id: 1 }]);
    emit('greyward:event', 'no.such.event', { x: 1 });
    emit('greyward:other', 'filter.status', { wrong: 'channel' });
    expect(statuses).toEqual([[status]]);
    expect(attempts).toEqual([[[{ id: 1 }]]]);

    offStatus();
    offStatus();
    emit('greyward:event', 'filter.status', { state: 'stopped' });
    expect(statuses).toHaveLength(1);
  });

  it('keeps delivering when one listener throws', () => {
    const { api, emit } = loadPreload();
    const received: unknown[] = [];
    const originalError = console.error;
    console.error = () => undefined;
    try {
      api.on!('filter.status', () => {
        throw new Error('renderer bug');
      });
      api.on!('filter.status', (payload: unknown) => received.push(payload));
      emit('greyward:event', 'filter.status', { state: 'crashed' });
    } finally {
      console.error = originalError;
    }
    expect(received).toEqual([{ state: 'crashed' }]);
  });

  it.each([['no.such.event'], ['__proto__'], ['hasOwnProperty'], [42]])('refuses to subscribe to %s', (event) => {
    const { api } = loadPreload();
    expect(() => api.on!(event, () => undefined)).toThrow(/unknown event/);
  });

  it('refuses a listener that is not a function', () => {
    const { api } = loadPreload();
    expect(() => api.on!(EVENT_NAMES[0], 'not a function')).toThrow(/must be a function/);
  });
});
