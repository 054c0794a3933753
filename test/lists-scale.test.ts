import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { greywardNodeFlags } from '../main/node-flags.js';
import { MAX_LIST_ENTRIES } from '../main/store/list-tables.js';
import { PolicyClient, rcpt } from './support/policy-client.js';
import { CLI, startDaemon, type CliResult } from './support/greyward-process.js';

/** As a shell starts the command: with the Node flags of its first line (the filter's memory cap among them). */
const NODE_FLAGS = greywardNodeFlags(CLI);
const ENTRIES = 1_000_000;

function greywardAsInstalled(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_FLAGS, CLI, ...args], { timeout: 300_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** ENTRIES distinct client entries: addresses, /24 networks, IPv6 /64s and host names. */
function clientList(): string {
  const lines: string[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    if (i % 10 < 6) lines.push(`${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
    else if (i % 10 < 8) lines.push(`${120 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24`);
    else if (i % 10 < 9) lines.push(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`);
    else lines.push(`mx${i}.relay${i % 997}.example`);
  }
  return `${lines.join('\n')}\n`;
}

const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('a million list entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'greyward-lists-scale-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('import, load into the filter within its memory cap, and a later change still applies', async () => {
    const db = join(dir, 'greyward.db');
    const file = join(dir, 'clients.txt');
    writeFileSync(file, clientList());

    const imported = await greywardAsInstalled('lists', 'import', file, '--format', 'postgrey-clients', '--db', db);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toBe(`imported ${ENTRIES.toLocaleString('en')} entries into the allow list (0 already there)\n`);

    const filter = await startDaemon(['--db', db, '--listen', '127.0.0.1:0'], 120_000, NODE_FLAGS);
    try {
      const client = await PolicyClient.connect({ port: filter.port });
      const ask = (clientAddress: string, clientName = 'unknown') => client.ask(rcpt({ client_address: clientAddress, client_name: clientName }));
      // Entries from the start, the middle and the end of the file, of each kind.
      expect(await ask('10.0.0.0')).toBe('DUNNO');
      expect(await ask('127.161.39.99')).toBe('DUNNO'); // in 127.161.39.0/24, entry 500,008
      expect(await ask('2001:db8:f:423e::25')).toBe('DUNNO'); // in the last IPv6 /64
      expect(await ask('192.0.2.1', 'smtp.mx999999.relay8.example')).toBe('DUNNO'); // the last entry
      expect(await ask('192.0.2.1')).toMatch(/^DEFER_IF_PERMIT 4\.7\.1/);
      expect(rssMiB(filter.pid)).toBeLessThan(300);

      // A change made while the filter runs with a million entries (and the two defaults) loaded applies, and the filter lives on.
      const added = await greywardAsInstalled('lists', 'add', 'deny', 'client-address', '10.0.0.0', '--db', db);
      expect(added.code).toBe(0);
      let reply = '';
      for (let tries = 0; tries < 300 && !reply.startsWith('REJECT'); tries++) {
        reply = await ask('10.0.0.0');
        if (!reply.startsWith('REJECT')) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(reply).toMatch(/^REJECT 5\.7\.1/);
      expect(filter.stderr()).toMatch(/policy reloaded \(version \d+\): allow=1000002 grey=0 deny=1/);
      expect(rssMiB(filter.pid)).toBeLessThan(300);
      client.close();
    } finally {
      await filter.stop();
    }
  }, 600_000);

  it('refuse a file that would hold more than the lists can, before writing anything', async () => {
    const db = join(dir, 'full.db');
    const file = join(dir, 'too-many.txt');
    const lines = Array.from({ length: MAX_LIST_ENTRIES + 1 }, (_, i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32`);
    writeFileSync(file, `${lines.join('\n')}\n`);

    const refused = await greywardAsInstalled('lists', 'import', file, '--format', 'postgrey-clients', '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`has 1,200,001 entries, and the lists hold at most 1,200,000 entries: 2 are stored`);
    const stored = JSON.parse((await greywardAsInstalled('lists', 'show', '--db', db, '--json')).stdout) as Array<{ source: string }>;
    expect(stored.filter((entry) => entry.source !== 'default')).toEqual([]);
  }, 300_000);
});
