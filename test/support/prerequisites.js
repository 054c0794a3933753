import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
/** Where Debian puts programs, searched after PATH: a test run's PATH may lack the sbin directories. */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin', '/bin'];
/** The executable file `name` on PATH or in the system directories, if there is one. */
export function findExecutable(name) {
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
    for (const dir of dirs) {
        const candidate = path.join(dir, name);
        try {
            accessSync(candidate, fsConstants.X_OK);
            if (statSync(candidate).isFile())
                return candidate;
        }
        catch {
            // keep looking
        }
    }
    return undefined;
}
export function missingOf(availabilities) {
    return availabilities.flatMap((a) => (a.ok ? [] : [a.why]));
}
/**
 * Call inside a describe block: true when the suite can run. Otherwise it registers one test
 * that fails under CI=true (where an end-to-end suite must never be skipped) and is skipped
 * elsewhere, and returns false so that the block returns.
 */
export function prerequisitesMet(missing) {
    if (missing.length === 0)
        return true;
    if (process.env.CI === 'true') {
        it('has its prerequisites (CI=true: this must not be skipped)', () => {
            throw new Error(`missing in CI: ${missing.join('; ')} (see .ci/install-system-packages.sh)`);
        });
    }
    else {
        it.skip(`needs ${missing.join('; ')}`, () => { });
    }
    return false;
}
//# sourceMappingURL=prerequisites.js.map