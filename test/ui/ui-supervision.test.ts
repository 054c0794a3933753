// A filter killed from outside (kill -9, as the OOM killer or a careless admin would) is
// restarted by the supervisor in `greyward ui`, and the screens show it happen: crashed (with
// why, and when it restarts), starting, running again with a new process and one restart.
// Postfix's view is checked too: the filter answers again on the same port.
//
// Its own `greyward ui`: the other suites must not find their filter restarted under them.
// Needs Debian's chromium and a build; fails under CI=true without them, skipped otherwise.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/chromium.js';
import { fact, startUiHarness, uiPrerequisites, type UiHarness } from '../support/ui-harness.js';
import { prerequisitesMet } from '../support/prerequisites.js';

const missing = uiPrerequisites();
const DEFER = /^DEFER_IF_PERMIT 4\.7\.1 Greylisted, try again in \d+ seconds$/;

function parentPid(pid: number): number {
  // /proc/PID/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('filter supervision as the screens show it', () => {
  if (!prerequisitesMet(missing)) return;

  let ui: UiHarness;
  beforeAll(async () => {
    ui = await startUiHarness();
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('a filter killed with SIGKILL is restarted, and the Overview shows crashed → starting → running with 1 restart', { timeout: 30_000 }, async () => {
    const page = await ui.newPage();
    const card = page.getByRole('region', { name: 'Filter', exact: true });
    const badge = card.locator('.badge');
    await expect.poll(() => badge.innerText()).toBe('Filter running');
    expect(await fact(card, 'Restarts').innerText()).toBe('0');
    expect(await fact(card, 'Listens on').innerText()).toBe(`inet:127.0.0.1:${ui.filterPort}`);
    const pid = Number(await fact(card, 'Process').innerText());
    expect(pid).toBeGreaterThan(1);
    // The pid on the screen is the filter that `greyward ui` started, and it answers Postfix.
    expect(parentPid(pid)).toBe(ui.ui.child.pid);
    expect(await ui.ask({ client_address: '198.51.100.80', sender: 'before@crash.example' }), ui.debug()).toMatch(DEFER);

    // Record every state the card and the top bar show, so that short-lived ones are not missed.
    await page.evaluate(`(() => {
      const card = document.querySelector('.filter-card');
      const top = document.querySelector('.top-bar .badge-link');
      window.__seen = [];
      const record = () => {
        const entry = (card.querySelector('.badge')?.textContent ?? '') + ' | ' + (card.querySelector('p.muted')?.textContent ?? '') + ' | top: ' + (top?.textContent ?? '');
        if (window.__seen.at(-1) !== entry) window.__seen.push(entry);
      };
      record();
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);

    process.kill(pid, 'SIGKILL');
    // The crashed state lasts the first backoff (1 s): long enough for a screenshot of what the administrator sees.
    await badge.filter({ hasText: 'Filter crashed' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'overview-filter-crashed-light.png') });

    await expect.poll(() => fact(card, 'Restarts').innerText(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => badge.innerText(), { timeout: 15_000 }).toBe('Filter running');
    const newPid = Number(await fact(card, 'Process').innerText());
    expect(newPid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect(alive(newPid)).toBe(true);
    expect(parentPid(newPid)).toBe(ui.ui.child.pid);

    const seen = (await page.evaluate('window.__seen')) as string[];
    const states = seen.map((entry) => entry.split(' | ')[0]);
    const crashed = states.indexOf('Filter crashed');
    const starting = states.indexOf('Filter starting', crashed);
    const running = states.lastIndexOf('Filter running');
    expect(crashed, seen.join('\n')).toBeGreaterThan(0);
    expect(starting, seen.join('\n')).toBeGreaterThan(crashed);
    expect(running, seen.join('\n')).toBeGreaterThan(starting);
    // While crashed the screen says why and when it comes back; the top bar agrees with the card.
    expect(seen[crashed]).toBe("Filter crashed | The filter was killed by SIGKILL\nRestarting in 1 s. | top: Filter crashed");
    expect(seen[starting]).toMatch(/restarting the filter \(restart 1\)/i);
    expect(seen.at(-1)).toMatch(/^Filter running \| Answering Postfix on tcp 127\.0\.0\.1:\d+ \| top: Filter running$/);

    // Postfix is pointed at a fixed address: the restarted filter answers there again.
    expect(await fact(card, 'Listens on').innerText()).toBe(`inet:127.0.0.1:${ui.filterPort}`);
    expect(await ui.ask({ client_address: '198.51.100.81', sender: 'after@crash.example' }), ui.debug()).toMatch(DEFER);
    await page.close();
  });
});
