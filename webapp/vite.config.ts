// Vite build of the Packline tablet client. The WASM core is not bundled: it is
// copied into public/core/ by scripts/copy-core.mjs and loaded at run time with a
// dynamic import; scripts/gen-sw.mjs writes dist/sw.js after the build.
import { defineConfig } from 'vite';

// Node's process, without pulling in @types/node for one variable.
declare const process: { env: Record<string, string | undefined> };

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The service worker precaches every file; one small bundle is enough.
    assetsInlineLimit: 0,
  },
  // `npm run dev` against a running server (scripts/run.sh): the sync socket is
  // proxied; the core must have been copied into public/core/ (npm run copy-core).
  server: {
    host: '127.0.0.1',
    proxy: {
      '/sync': { target: process.env.PACKLINE_SERVER_URL ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
