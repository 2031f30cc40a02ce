// bench/run crypto, Chromium part: the WASM core in headless
// Chromium (playwright-core from webapp/node_modules, the system browser):
// Argon2id as a tablet pays it when setting and when entering the passphrase,
// and sealing/opening the replica. JSON lines like the other suites.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const wasmDir = path.join(root, 'build-wasm/client-core/wasm');
const require = createRequire(path.join(root, 'webapp', 'package.json'));
const { chromium } = require('playwright-core');

const page = `<!doctype html><script type="module">
import createPacklineCore from './packline_core.mjs';
const core = await createPacklineCore();
const out = [];
const { client } = core.createClient();
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  client.setPassphrase('correct horse battery staple ' + i);
  out.push(['argon2id_ops3_mem64MiB', 'ms', performance.now() - t]);
}
let t = performance.now();
const sealed = client.save().bytes;
out.push(['save_sealed_empty_replica', 'ms', performance.now() - t]);
t = performance.now();
const opened = core.openSealedClient(sealed, 'correct horse battery staple 2', Date.now());
out.push(['unlock_argon2id_and_open', 'ms', performance.now() - t]);
out.push(['unlock_ok', 'bool', opened.client ? 1 : 0]);
window.results = out;
</script>`;

const server = http.createServer((req, res) => {
  const name = req.url === '/' ? null : path.basename(req.url.split('?')[0]);
  if (!name) { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); return; }
  try {
    const body = readFileSync(path.join(wasmDir, name));
    res.writeHead(200, { 'content-type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
    res.end(body);
  } catch { res.writeHead(404); res.end(); }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const p = await browser.newPage();
  await p.goto(`http://127.0.0.1:${server.address().port}/`);
  await p.waitForFunction(() => window.results, null, { timeout: 120_000 });
  for (const [c, metric, value] of await p.evaluate(() => window.results)) {
    console.log(JSON.stringify({ suite: 'crypto', case: c, impl: 'wasm-chromium', metric, value: Number(value.toFixed(3)), unit: metric }));
  }
} finally {
  await browser.close();
  server.close();
}
