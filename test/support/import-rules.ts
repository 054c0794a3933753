import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';

/** The layers of DESIGN.md and what each may import; arrows point toward shared/. */
interface Layer {
  name: string;
  /** Path prefix inside the repository. */
  root: string;
  /** Repository folders this layer may import from by relative path. */
  mayImport: string[];
  packages: 'any' | string[];
  forbiddenPackages?: string[];
  /** better-sqlite3 only inside the store, so that another database can replace it. */
  nodeBuiltins: boolean;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const PURE_PACKAGES = ['zod', 'ipaddr.js', 're2js', 'tldts', 'punycode.js'];

export const LAYERS: Layer[] = [
  { name: 'shared', root: 'shared/', mayImport: ['shared/'], packages: PURE_PACKAGES, nodeBuiltins: false },
  { name: 'renderer', root: 'renderer/', mayImport: ['renderer/', 'shared/'], packages: 'any', forbiddenPackages: ['electron', 'better-sqlite3'], nodeBuiltins: false },
  { name: 'main/preload', root: 'main/preload/', mayImport: ['main/preload/', 'shared/'], packages: ['electron', ...PURE_PACKAGES], nodeBuiltins: false },
  { name: 'main/app', root: 'main/app/', mayImport: ['main/', 'shared/'], packages: 'any', forbiddenPackages: ['better-sqlite3'], nodeBuiltins: true },
  { name: 'main/store', root: 'main/store/', mayImport: ['main/store/', 'main/workers/', 'main/version', 'shared/'], packages: 'any', forbiddenPackages: ['electron'], nodeBuiltins: true },
  {
    name: 'main (filter, cli and the rest)',
    root: 'main/',
    mayImport: ['main/', 'shared/'],
    packages: 'any',
    forbiddenPackages: ['electron', 'better-sqlite3', 'react', 'react-dom', 'zustand'],
    nodeBuiltins: true,
  },
];

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
];

export function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return IMPORT_PATTERNS.flatMap((pattern) => [...withoutComments.matchAll(pattern)].map((m) => m[1]!));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Checks one file's imports against the layer its path puts it in. `file` is relative to the repository, with / separators. */
export function checkFile(file: string, source: string): Violation[] {
  const layer = LAYERS.find((l) => file.startsWith(l.root));
  if (!layer || /\.test\.tsx?$/.test(file)) return [];
  const violations: Violation[] = [];
  for (const specifier of importsOf(source)) {
    if (specifier.startsWith('.')) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (!layer.mayImport.some((allowed) => target.startsWith(allowed))) {
        violations.push({ file, specifier, rule: `${layer.name} may import only from ${layer.mayImport.join(', ')}` });
      }
    } else if (NODE_BUILTINS.has(specifier) || specifier.startsWith('node:')) {
      if (!layer.nodeBuiltins) violations.push({ file, specifier, rule: `${layer.name} must not use Node built-ins` });
    } else {
      const name = packageName(specifier);
      const allowed = layer.packages === 'any' ? !(layer.forbiddenPackages ?? []).includes(name) : layer.packages.includes(name);
      if (!allowed) violations.push({ file, specifier, rule: `${layer.name} must not import the package ${name}` });
    }
  }
  return violations;
}

export function checkRepository(root: string): Violation[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|tsx|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const top of ['shared', 'main', 'renderer']) {
    try {
      walk(join(root, top));
    } catch {
      // A layer that does not exist yet has nothing to break.
    }
  }
  return files.flatMap((path) => checkFile(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8')));
}
