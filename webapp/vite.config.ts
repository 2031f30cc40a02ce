// Vite build of the Packline tablet client. The WASM core is not bundled: it is
// copied into public/core/ by scripts/copy-core.mjs and loaded at run time with a
// dynamic import; scripts/gen-sw.mjs writes dist/sw.js after the build.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The service worker precaches every file; one small bundle is enough.
    assetsInlineLimit: 0,
  },
  server: { host: '127.0.0.1' },
});
