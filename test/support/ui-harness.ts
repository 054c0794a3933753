// One `greyward ui` (browser host + supervised filter) on a throw-away database, and Debian's
// Chromium driving the real renderer through it. Everything is real: the filter answers real
// policy requests on a loopback TCP port, the screens talk to the real handlers over the
// browser host's WebSocket, and the database is a file in a mkdtemp directory.
//
//   const ui = await startUiHarness({ settings: { autoAllowAfter: '0' } });
//   const page = await ui.newPage();
//   await openScreen(page, 'Live deferrals');
//   await ui.ask({ client_address: '198.51.100.7', sender: 'a@example.org' });
//   ...
//   await ui.stop();   // closes Chromium, stops `greyward ui` (and so its filter) by PID
//
// The filter listens on a fixed free port (not :0), so a filter the supervisor restarts comes
// back where Postfix looks for it.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { greywardOk } from './greyward-process.js';
import { askOnce, rcpt } from './policy-client.js';
import { missingOf, type Availability } from './prerequisites.js';
import { freeLoopbackPort } from './free-port.js';
import { startUi, type UiProcess } from './ui-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILT_RENDERER = path.join(ROOT, 'out', 'renderer', 'index.html');
export const BUILT_CLI = path.join(ROOT, 'out', 'main', 'cli', 'index.js');
export const SEED_SCRIPT = path.join(ROOT, 'bench', 'seed-triplets.mjs');

/** What an end-to-end UI suite lacks on this machine (empty when it can run). */
export function uiPrerequisites(...more: Availability[]): string[] {
  const built: Availability =
    existsSync(BUILT_RENDERER) && existsSync(BUILT_CLI) ? { ok: true } : { ok: false, why: 'Greyward is not built (run `npm run build` first)' };
  return missingOf([chromiumAvailable(), built, ...more]);
}

/** Fills DB with COUNT realistic triplets and their attempt log (bench/seed-triplets.mjs). */
export function seedTriplets(db: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SEED_SCRIPT, db, String(count)], { timeout: 300_000, maxBuffer: 4 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`seed-triplets failed: ${error.message}\n${stdout}${stderr}`)) : resolve(stdout),
    );
  });
}

export interface UiHarnessOptions {
  /** Stored before the filter starts: `greyward settings set KEY VALUE`. */
  settings?: Record<string, string>;
  /** Seeds this many triplets (bench/seed-triplets.mjs) before the filter starts. */
  seed?: number;
  /** Runs after seeding, before `greyward ui` starts, e.g. to fill the lists with the command line. */
  prepare?(cli: (...args: string[]) => Promise<string>, db: string): Promise<void>;
  /** Page size for newPage(). Default 1440 × 900. */
  viewport?: { width: number; height: number };
}

export interface UiHarness {
  dir: string;
  db: string;
  /** The TCP port the supervised filter answers Postfix on. */
  filterPort: number;
  ui: UiProcess;
  browser: Browser;
  /** A fresh page (its own browser context) with the screens loaded and the filter shown running. */
  newPage(options?: { colorScheme?: 'light' | 'dark' }): Promise<Page>;
  /** Sends one real policy request (RCPT) to the filter; resolves with its reply, e.g. "DEFER_IF_PERMIT 4.7.1 Greylisted, …". */
  ask(attributes?: Record<string, string>): Promise<string>;
  /** Runs the greyward command line against this database; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
  /** `greyward lists show --json`. */
  listEntries(): Promise<Array<{ id: number; list: string; kind: string; pattern: string; comment: string; source: string }>>;
  /** stderr of `greyward ui`, for failure messages. */
  debug(): string;
  stop(): Promise<void>;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, debug: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${debug()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startUiHarness(options: UiHarnessOptions = {}): Promise<UiHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greyward-ui-'));
  const db = path.join(dir, 'greyward.db');
  const cli = (...args: string[]) => greywardOk(...args, '--db', db);
  let ui: UiProcess | undefined;
  let browser: Browser | undefined;
  const contexts = new Set<BrowserContext>();
  const stop = async () => {
    await Promise.allSettled([...contexts].map((context) => context.close()));
    await browser?.close().catch(() => undefined);
    await ui?.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    for (const [key, value] of Object.entries(options.settings ?? {})) await cli('settings', 'set', key, value);
    if (options.seed) await seedTriplets(db, options.seed);
    await options.prepare?.(cli, db);
    const port = await freeLoopbackPort();
    const [started, launched] = await Promise.all([startUi(['--db', db, '--listen', `127.0.0.1:${port}`]), launchChromium()]);
    ui = started;
    browser = launched;
    const debug = () => `--- greyward ui stderr\n${started.stderr()}`;
    // `greyward ui` prints its address before the supervisor has the filter running.
    const filterPort = await waitFor(
      'the filter running',
      () => {
        const found = /^filter running: answering Postfix on tcp 127\.0\.0\.1:(\d+)/m.exec(started.stderr())?.[1];
        return found ? Number(found) : undefined;
      },
      20_000,
      debug,
    );
    const viewport = options.viewport ?? { width: 1440, height: 900 };
    return {
      dir,
      db,
      filterPort,
      ui: started,
      browser: launched,
      async newPage({ colorScheme = 'light' } = {}) {
        const context = await launched.newContext({ viewport, colorScheme, locale: 'en-GB', timezoneId: 'UTC' });
        contexts.add(context);
        const page = await context.newPage();
        await page.goto(started.url);
        await page.getByRole('navigation', { name: 'Screens' }).waitFor();
        return page;
      },
      ask: (attributes = {}) => askOnce({ port: filterPort }, rcpt(attributes)),
      cli,
      listEntries: async () => JSON.parse(await cli('lists', 'show', '--json')),
      debug,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const SCREEN_LABELS = ['Overview', 'Live deferrals', 'Lists', 'Greylist', 'Policy', 'Settings'] as const;
export type ScreenLabel = (typeof SCREEN_LABELS)[number];

/** Follows the left navigation to a screen and waits for its heading. */
export async function openScreen(page: Page, label: ScreenLabel): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label, exact: true }).waitFor();
}

/** The value of a fact (a <dt>…<dd> pair) in a card, e.g. fact(filterCard, 'Process'). */
export function fact(scope: Page | ReturnType<Page['locator']>, term: string) {
  return scope.locator('dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
}

/** The row of the Live deferrals list showing this sender. */
export function liveRow(page: Page, text: string) {
  return page.getByRole('listbox', { name: 'Deferred attempts, newest first' }).getByRole('option').filter({ hasText: text });
}
