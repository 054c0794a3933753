import { it } from 'vitest';

export type Availability = { ok: true } | { ok: false; why: string };

export function missingOf(availabilities: readonly Availability[]): string[] {
  return availabilities.flatMap((a) => (a.ok ? [] : [a.why]));
}

/**
 * Call inside a describe block: true when the suite can run. Otherwise it registers one test
 * that fails under CI=true (where an end-to-end suite must never be skipped) and is skipped
 * elsewhere, and returns false so that the block returns.
 */
export function prerequisitesMet(missing: readonly string[]): boolean {
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') {
    it('has its prerequisites (CI=true: this must not be skipped)', () => {
      throw new Error(`missing in CI: ${missing.join('; ')} (see .ci/install-system-packages.sh)`);
    });
  } else {
    it.skip(`needs ${missing.join('; ')}`, () => {});
  }
  return false;
}
