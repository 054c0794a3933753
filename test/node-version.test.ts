import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHECK = fileURLToPath(new URL('../scripts/check-node.cjs', import.meta.url));

/** Runs the version check as if this Node were `version`. */
function checkAs(version: string): Promise<{ code: number; stderr: string }> {
  const script = `Object.defineProperty(process.versions, 'node', { value: '${version}' }); Object.defineProperty(process, 'version', { value: 'v${version}' }); require(${JSON.stringify(CHECK)});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }));
  });
}

describe('Node version', () => {
  it.each(['20.20.2', '22.11.0', '18.0.0'])('refuses Node %s with a message that says what to do', async (version) => {
    const result = await checkAs(version);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Greyward needs Node.js >= 22.12 (this is v${version})`);
    expect(result.stderr).toContain("npx -y -p node@22 -- bash -c 'npm ci && npm test'");
  });

  it.each(['22.12.0', '22.23.3', '24.1.0'])('accepts Node %s', async (version) => {
    expect((await checkAs(version)).code).toBe(0);
  });
});
