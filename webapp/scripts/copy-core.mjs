// Copies the WASM core (packline_core.mjs + packline_core.wasm), built by
// `cmake --build build-wasm --target packline_core_wasm`, into public/core/ so
// Vite ships it as-is. Source directory: $PACKLINE_CORE_DIR or
// <repo>/build-wasm/client-core/wasm/. Fails loudly when the core is missing:
// the webapp cannot do anything without it.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webapp = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(webapp, '..');
const from = resolve(process.env.PACKLINE_CORE_DIR ?? join(repo, 'build-wasm/client-core/wasm'));
const to = join(webapp, 'public/core');
const files = ['packline_core.mjs', 'packline_core.wasm'];

const missing = files.filter((f) => !existsSync(join(from, f)));
if (missing.length > 0) {
  console.error(`copy-core: ${missing.join(', ')} not found in ${from}.`);
  console.error('copy-core: build the WASM core first: cmake --build build-wasm --target packline_core_wasm');
  process.exit(1);
}
mkdirSync(to, { recursive: true });
for (const f of files) {
  copyFileSync(join(from, f), join(to, f));
  console.log(`copy-core: ${f} (${statSync(join(to, f)).size} bytes) -> public/core/`);
}
