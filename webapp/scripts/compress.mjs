// Writes FILE.br and FILE.gz beside each text asset and the WASM core of
// dist/ (or the folder given) after the build, so the server sends them
// precompressed to browsers that take them (brotli at its best quality,
// gzip -9; Node's own zlib).
// A copy that saves less than a tenth is not written.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
const kinds = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.txt', '.wasm', '.map']);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

let before = 0;
let after = 0;
for (const file of walk(dist)) {
  if (!kinds.has(extname(file))) continue;
  const data = readFileSync(file);
  if (data.length < 1024) continue;
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gz = gzipSync(data, { level: 9 });
  before += data.length;
  after += Math.min(br.length, data.length);
  if (br.length < data.length * 0.9) writeFileSync(file + '.br', br);
  if (gz.length < data.length * 0.9) writeFileSync(file + '.gz', gz);
}
console.log(`compress: ${(before / 1024).toFixed(0)} KiB of text and WASM, ${(after / 1024).toFixed(0)} KiB as brotli`);
