import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept with the test output, for people to look at. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

export function chromiumAvailable(): { ok: true } | { ok: false; why: string } {
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, why: `${CHROMIUM} is missing (apt-get install chromium)` };
}

/** Debian's Chromium, headless, with the background services that this closed network refuses turned off. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const SCHEMES = ['light', 'dark'] as const;

export const nextFrames = (page: Page) => page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

/**
 * One screenshot per theme, switched on the open page as an OS would, into SCREENSHOT_DIR. The app
 * scrolls inside its content pane, not the page, so a "whole screen" shot makes the window as tall
 * as the content instead.
 */
export async function shoot(page: Page, name: string, options: { wholeScreen?: boolean } = {}): Promise<string[]> {
  const viewport = page.viewportSize()!;
  if (options.wholeScreen) {
    const overflow = Number(await page.evaluate('(() => { const main = document.querySelector("main"); return main.scrollHeight - main.clientHeight; })()'));
    if (overflow > 0) await page.setViewportSize({ width: viewport.width, height: viewport.height + overflow });
    await nextFrames(page);
  }
  const files: string[] = [];
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    // Let the theme switch settle (CSS variables, the chart rebuilt with the theme's colours).
    await nextFrames(page);
    const file = join(SCREENSHOT_DIR, `${name}-${scheme}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(viewport);
  return files;
}
