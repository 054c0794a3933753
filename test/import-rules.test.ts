import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFile, checkRepository } from './support/import-rules.js';

describe('layer import rules', () => {
  it('hold in the repository', () => {
    const violations = checkRepository(fileURLToPath(new URL('..', import.meta.url)));
    expect(violations.map((v) => `${v.file}: ${v.specifier} (${v.rule})`)).toEqual([]);
  });

  it.each([
    ['shared/x.ts', "import { readFileSync } from 'node:fs';", /must not use Node built-ins/],
    ['shared/x.ts', "import fs from 'fs';", /must not use Node built-ins/],
    ['shared/x.ts', "import { app } from 'electron';", /must not import the package electron/],
    ['shared/x.ts', "import { decide } from '../main/filter/engine.js';", /may import only from shared/],
    ['main/filter/x.ts', "import { app } from 'electron';", /must not import the package electron/],
    ['main/filter/x.ts', "const e = await import('electron');", /must not import the package electron/],
    ['main/filter/x.ts', "import Database from 'better-sqlite3';", /must not import the package better-sqlite3/],
    ['main/cli/x.ts', "export { thing } from '../../renderer/store.js';", /may import only from main\/, shared\//],
    ['renderer/x.tsx', "import { openDatabase } from '../main/store/database.js';", /may import only from renderer\/, shared\//],
    ['renderer/x.tsx', "import path from 'node:path';", /must not use Node built-ins/],
    ['main/preload/x.ts', "import { readFileSync } from 'node:fs';", /must not use Node built-ins/],
  ])('refuse %s: %s', (file, source, rule) => {
    const violations = checkFile(file, source);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.rule).toMatch(rule);
  });

  it('allow what the layers may use', () => {
    expect(checkFile('main/store/x.ts', "import Database from 'better-sqlite3';\nimport { z } from 'zod';")).toEqual([]);
    expect(checkFile('main/app/x.ts', "import { app } from 'electron';\nimport { startFilter } from '../filter/daemon.js';")).toEqual([]);
    expect(checkFile('shared/x.ts', "import { z } from 'zod';\nimport type { X } from './y.js';")).toEqual([]);
  });
});
