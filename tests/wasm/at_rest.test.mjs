// Secured panels in the WASM core: the replica sealed at rest (Argon2id +
// XChaCha20-Poly1305), wrong passphrase vs damaged bytes, and the time one
// unlock costs under V8 (printed, never asserted).
// Run with: node --no-experimental-fetch --test tests/wasm/
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const modPath = process.env.PACKLINE_WASM ?? path.join(root, 'build-wasm/client-core/wasm/packline_core.mjs');
globalThis.__dirname = path.dirname(modPath);
globalThis.require = createRequire(import.meta.url);
const { default: createPacklineCore } = await import(pathToFileURL(modPath).href);
const core = await createPacklineCore({ locateFile: (f) => path.join(path.dirname(modPath), f) });

test('wasm at rest: sealed bytes open with the passphrase only; damage is told apart', () => {
  const { client } = core.createClient();
  const plain = client.save().bytes;
  assert.equal(core.isSealed(plain), false);
  let t = performance.now();
  assert.deepEqual(client.setPassphrase('member passphrase'), {});
  console.log(`argon2id (3 passes, 64 MiB) in V8: ${(performance.now() - t).toFixed(0)} ms`);
  const sealed = client.save().bytes;
  assert.equal(core.isSealed(sealed), true);
  assert.equal(Buffer.from(sealed).includes('SQLite format'), false);
  t = performance.now();
  const opened = core.openSealedClient(sealed, 'member passphrase', Date.now());
  console.log(`unlock in V8: ${(performance.now() - t).toFixed(0)} ms`);
  assert.ok(opened.client);
  assert.equal(opened.client.deviceId(), client.deviceId());
  assert.equal(opened.client.locked(), false);
  assert.equal(core.openSealedClient(sealed, 'not it', Date.now()).error.code, 15);
  const bad = sealed.slice();
  bad[bad.length - 30] ^= 1;
  assert.equal(core.openSealedClient(bad, 'member passphrase', Date.now()).error.code, 13);
  assert.equal(core.openSealedClient(sealed.slice(0, sealed.length - 9), 'member passphrase', Date.now()).error.code, 13);
  client.delete();
  opened.client.delete();
});
