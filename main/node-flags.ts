import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Node flags of the filter process (its V8 heap caps), kept beside the greyward command in
 * bin/filter-node-flags.cjs; none for a command without that file beside it. A program that starts
 * the filter itself (the app's supervisor, the benchmark) passes them; `greyward filter` started
 * without them (from a shell, by systemd) re-executes itself with them. Administration commands
 * run without them.
 */
export function greywardNodeFlags(binPath: string): string[] {
  const flagsFile = join(dirname(binPath), 'filter-node-flags.cjs');
  return existsSync(flagsFile) ? [...(createRequire(binPath)(flagsFile) as string[])] : [];
}

/** The environment of the filter process, kept beside its flags in bin/filter-env.cjs (see there why). */
export function greywardFilterEnv(binPath: string): Record<string, string> {
  const envFile = join(dirname(binPath), 'filter-env.cjs');
  return existsSync(envFile) ? { ...(createRequire(binPath)(envFile) as Record<string, string>) } : {};
}
