import { readFileSync } from 'node:fs';

/**
 * The Node flags the greyward command runs with, read from its shebang line so that a filter
 * started by another program (the app's supervisor, the benchmark) runs exactly as a shell
 * would start it.
 */
export function greywardNodeFlags(binPath: string): string[] {
  const shebang = readFileSync(binPath, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!.*?\bnode\b(.*)$/.exec(shebang);
  return match ? match[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
