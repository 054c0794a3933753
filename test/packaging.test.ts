import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const yaml = require('js-yaml') as { load(text: string): unknown };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const config = () => yaml.load(readFileSync(`${ROOT}electron-builder.yml`, 'utf8')) as Record<string, unknown>;

describe('packaging', () => {
  it("electron-builder.yml passes electron-builder's own schema, offline", async () => {
    await expect(validateConfiguration(config(), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validation does fail on a wrong option, so the test above means something', async () => {
    await expect(validateConfiguration({ ...config(), linux: { target: ['AppImage'], desktopEntry: 42 } }, new DebugLogger(false))).rejects.toThrow(/configuration/i);
  });

  it('targets Linux, macOS and Windows and keeps better-sqlite3 out of the asar', () => {
    const c = config() as { linux: { target: string[] }; mac: { target: string }; win: { target: string }; asarUnpack: string[] };
    expect(c.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(c.mac.target).toBe('dmg');
    expect(c.win.target).toBe('nsis');
    expect(c.asarUnpack.some((pattern) => pattern.includes('better-sqlite3'))).toBe(true);
  });
});
