// Editing traces of ../shared/bench-data: load, and convert to the compact
// binary form the native benchmark reads (varint count; per patch varint pos,
// varint delete count, varint UTF-8 length, bytes).
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

export const benchData = process.env.PACKLINE_BENCH_DATA ?? path.resolve(import.meta.dirname, '../../shared/bench-data');

export function loadTrace(name) {
  const json = JSON.parse(gunzipSync(readFileSync(path.join(benchData, `${name}.json.gz`))).toString('utf8'));
  const patches = [];
  for (const t of json.txns) for (const p of t.patches) patches.push(p);
  return { startContent: json.startContent, endContent: json.endContent, patches };
}

function varint(out, v) {
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
}

export function convert(name, dir) {
  mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, `${name}.bin`), end = path.join(dir, `${name}.end.txt`);
  if (existsSync(bin) && existsSync(end)) return { bin, end };
  const t = loadTrace(name);
  const out = [];
  varint(out, t.patches.length);
  const enc = new TextEncoder();
  for (const [pos, del, ins] of t.patches) {
    const b = enc.encode(ins);
    varint(out, pos); varint(out, del); varint(out, b.length);
    for (const x of b) out.push(x);
  }
  writeFileSync(bin, Buffer.from(out));
  writeFileSync(end, t.endContent);
  return { bin, end };
}

if (process.argv[1] === import.meta.filename) {
  const [name, dir] = process.argv.slice(2);
  console.log(JSON.stringify(convert(name, dir)));
}
