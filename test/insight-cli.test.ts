import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Suspect } from '../shared/contract.js';
import { startFilter } from '../main/filter/daemon.js';
import { quietLog } from '../main/filter/log.js';
import { greyward } from './support/greyward-process.js';
import { AT_RISK, runTraffic, type PlantedSender } from './support/traffic-generator.js';

let dir: string;
let db: string;
let planted: PlantedSender[];

// The command line reads the real clock: the simulated day ends now.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'greyward-suspects-cli-'));
  db = join(dir, 'greyward.db');
  const start = Math.floor(Date.now() / 1000) - 26 * 3600;
  const clock = { now: start };
  const running = await startFilter({ db, listen: '127.0.0.1:0', log: quietLog(), clock: () => clock.now });
  try {
    const port = Number(running.endpoints.tcp!.split(':').at(-1));
    planted = await runTraffic({ endpoint: { port }, clock, start, until: start + 25 * 3600, settle: () => running.service.settle() });
  } finally {
    await running.stop();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('greyward suspects', () => {
  it('--help explains the classes', async () => {
    const result = await greyward('suspects', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: greyward suspects \[options\]/);
    expect(result.stdout).toMatch(/early-then-gone\s+retried only before the delay/);
  });

  it('--json --all lists every planted sender at risk with its evidence', async () => {
    const result = await greyward('suspects', '--db', db, '--json', '--all');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const suspects = JSON.parse(result.stdout) as Suspect[];
    const keys = new Set(suspects.map((s) => `${s.sender} ${s.recipient}`));
    for (const sender of planted.filter((s) => AT_RISK.includes(s.pattern))) expect(keys.has(`${sender.sender} ${sender.recipient}`), sender.sender).toBe(true);
    expect(suspects.filter((s) => s.sender.startsWith('news'))).toEqual([]);
    expect(suspects[0]).toMatchObject({ primary: 'early-then-gone', credibility: 1, evidence: [{ action: 'defer', reason: 'new' }, { reason: 'early' }, { reason: 'early' }] });
  });

  it('leaves the spam-like ones of low credibility out without --all, and prints a table', async () => {
    const suspects = JSON.parse((await greyward('suspects', '--db', db, '--json')).stdout) as Suspect[];
    expect(new Set(suspects.map((s) => s.primary))).toEqual(new Set(['early-then-gone', 'pool-rotation', 'family-switch']));
    const text = await greyward('suspects', '--db', db);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CLASS\s+CRED\s+SENDER\s+RECIPIENT\s+CLIENTS\s+ATTEMPTS\s+LEFT\s+EVIDENCE$/);
    expect(lines).toHaveLength(suspects.length + 1);
    expect(lines[1]).toMatch(/^early-then-gone\s+1\.00\s+staff\d@corp\d\.example\s+rcpt\d+@example\.net\s+10\.2\.\d\.0\/24\s+3\s+\d+ h\s+3 attempts over 20 s/);
    expect(text.stdout).toMatch(/^pool-rotation\s+0\.80\s+billing\d@brand\d+\.example\s+\S+\s+10\.4\.\d+\.0\/24 10\.4\.\d+\.0\/24 \+1\s+3\s/m);
  });

  it('says so when nothing is at risk, and what is wrong with a missing database', async () => {
    const empty = join(dir, 'empty.db');
    await greyward('settings', 'show', '--db', empty);
    expect(await greyward('suspects', '--db', empty)).toMatchObject({ code: 0, stdout: 'no mail at risk\n' });
    expect(await greyward('suspects', '--db', join(dir, 'missing', 'g.db'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/^greyward: cannot open/) });
  });
});
