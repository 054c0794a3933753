import { defineConfig } from 'vite';

// The renderer is served from out/renderer/ by Electron (file or app protocol) and by the
// browser host (any port, behind an SSH tunnel): every asset path must be relative.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: true,
    // Inlined assets would become data: URLs, which the strict CSP does not need to allow.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: { host: '127.0.0.1', strictPort: false },
});
