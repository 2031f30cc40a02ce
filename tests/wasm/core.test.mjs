// The WASM build of client-core under Node: the same core the webapp loads.
// Run with: node --no-experimental-fetch --test tests/wasm/
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const modPath = process.env.PACKLINE_WASM ?? path.join(root, 'build-wasm/client-core/wasm/packline_core.mjs');
// Emscripten 3.1.6's ES module glue still uses CommonJS globals under Node.
globalThis.__dirname = path.dirname(modPath);
globalThis.require = createRequire(import.meta.url);
const { default: createPacklineCore } = await import(pathToFileURL(modPath).href);
const core = await createPacklineCore({ locateFile: (f) => path.join(path.dirname(modPath), f) });

test('wasm: a new client has a device id and persists through save/open', () => {
  const { client, error } = core.createClient();
  assert.equal(error, undefined);
  assert.match(client.deviceId(), /^[0-9a-f]{64}$/);
  assert.equal(client.pendingCount(), 0);
  assert.equal(client.syncState(), 'offline');
  assert.deepEqual(client.refusedChanges(), []);  // nothing refused yet (the clerk's list)
  const { bytes } = client.save();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 1000);
  const reopened = core.openClient(bytes);
  assert.equal(reopened.client.deviceId(), client.deviceId());
  client.delete();
  reopened.client.delete();
});

test('wasm: corrupt bytes give a plain-words error, not a crash', () => {
  const r = core.openClient(new Uint8Array(4096).fill(7));
  assert.equal(r.client, undefined);
  assert.equal(r.error.code, 13);
  assert.match(r.error.message, /damaged|truncated|could not be read/);
});

test('wasm: hello frame, then malformed server frame is an error', () => {
  const { client } = core.createClient();
  const frames = client.onOpen();
  assert.equal(frames.length, 1);
  assert.equal(frames[0][0], 0x94);  // [1, version, device, space]
  assert.equal(client.syncState(), 'connecting');
  const r = client.onFrame(new Uint8Array([0xc1, 0x00]), Date.now());
  assert.equal(r.error.code, 1);
  assert.deepEqual(r.frames, []);
  client.delete();
});

test('wasm: drafting before joining a panel is refused with a clear message', () => {
  const { client } = core.createClient();
  const r = client.draftQuestion({ item: '00'.repeat(16), body: 'Why?' }, Date.now());
  assert.ok(r.error);
  assert.match(r.error.message, /sign in/);
  client.delete();
});
