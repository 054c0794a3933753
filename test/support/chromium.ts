import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

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
