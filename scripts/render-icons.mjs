// Renders build/icon.svg into the PNG sizes electron-builder and desktop environments use.
// Run after changing the SVG: node scripts/render-icons.mjs (needs Debian's chromium).
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const svg = readFileSync(new URL('../build/icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
mkdirSync(new URL('../build/icons/', import.meta.url), { recursive: true });
for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
  const target = size === 1024 ? '../build/icon.png' : `../build/icons/${size}x${size}.png`;
  await page.screenshot({ path: new URL(target, import.meta.url).pathname, omitBackground: true });
  await page.close();
}
await browser.close();
