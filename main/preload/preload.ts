/**
 * The bridge between the sandboxed renderer and main. A sandboxed preload can require only
 * 'electron' (and a few Node polyfills), not ESM and not our modules: this file is bundled into
 * one CommonJS file, out/preload/preload.cjs (`npm run build:preload`), and imports nothing at
 * runtime but electron. The names below are checked against the contract by the compiler
 * (`satisfies Record<RequestName, true>`: a request added to or removed from shared/contract.ts
 * fails the build here) and by the bundle test; zod and the schemas stay out of the preload,
 * because main parses every payload anyway.
 *
 * Exposed as window.greyward: one function per request, and on(event, listener), which hands
 * the listener the payload only, never the IpcRendererEvent (whose sender is ipcRenderer itself).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, GreywardApi, RequestName } from '../../shared/contract.js';

const REQUESTS = {
  'overview.get': true,
  'filter.status': true,
  'filter.restart': true,
  'attempts.recent': true,
  'attempts.deferrals': true,
  'attempts.search': true,
  'triplets.get': true,
  'triplets.page': true,
  'triplets.passNow': true,
  'triplets.delete': true,
  'lists.get': true,
  'lists.add': true,
  'lists.edit': true,
  'lists.remove': true,
  'lists.export': true,
  'settings.get': true,
  'settings.set': true,
  'check.explain': true,
  'suspects.list': true,
  'suspects.fix': true,
  'insight.retryHistogram': true,
  'insight.impact': true,
  'insight.prepareImpact': true,
  'connections.list': true,
  'connections.save': true,
  'connections.remove': true,
  'connections.open': true,
} as const satisfies Record<RequestName, true>;

const EVENTS = {
  'filter.status': true,
  'attempts.added': true,
  'policy.changed': true,
} as const satisfies Record<EventName, true>;

/** Must match main/app/ipc.ts. */
const requestChannel = (name: string) => `greyward:${name}`;
const EVENT_CHANNEL = 'greyward:event';

const isEventName = (name: unknown): name is EventName => typeof name === 'string' && Object.hasOwn(EVENTS, name);

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();

// One subscription to the event channel for the page's lifetime; listeners come and go in the map.
ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
  if (!isEventName(name)) return;
  for (const listener of [...(listeners.get(name) ?? [])]) {
    try {
      listener(payload);
    } catch (error) {
      console.error(`greyward: a listener of ${name} failed`, error);
    }
  }
});

const api: Record<string, unknown> = {};
for (const name of Object.keys(REQUESTS)) {
  api[name] = (payload: unknown) => ipcRenderer.invoke(requestChannel(name), payload);
}
api.on = (event: unknown, listener: unknown): (() => void) => {
  if (!isEventName(event)) throw new TypeError(`greyward.on: unknown event ${String(event).slice(0, 80)}`);
  if (typeof listener !== 'function') throw new TypeError('greyward.on: the listener must be a function');
  const wrapped = (payload: unknown) => void (listener as (payload: unknown) => void)(payload);
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(wrapped);
  return () => void listeners.get(event)?.delete(wrapped);
};

contextBridge.exposeInMainWorld('greyward', api as GreywardApi);
