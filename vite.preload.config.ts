import { defineConfig } from 'vite';

// The Electron preload, bundled into the one CommonJS file a sandboxed preload can be:
// out/preload/preload.cjs, requiring nothing but 'electron'. `npm run build:preload`.
export default defineConfig({
  root: import.meta.dirname,
  publicDir: false,
  logLevel: 'warn',
  build: {
    lib: { entry: 'main/preload/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    outDir: 'out/preload',
    emptyOutDir: true,
    // Electron 45 is Chromium 140.
    target: 'chrome140',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    rolldownOptions: { external: ['electron'] },
  },
});
