// bench/run import: structures every pack of a corpus (default
// tests/corpus/packs; PACKLINE_IMPORT_CORPUS=DIR runs another one laid out the
// same way: NAME.expected.json beside NAME.txt and/or NAME*.pdf) with the
// native core and scores it: for each file and in total, the fields right out
// of the fields expected, and how long each import took. PDFs named in an
// expected file's "pdf" list are made from its text first (tests/corpus/makepdf.mjs).
// Found things the expected file does not list (an invented item, priority or
// answer) count as expected fields that are wrong: precision before recall.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { textToPdf } from '../tests/corpus/makepdf.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.PACKLINE_IMPORT_CORPUS ?? join(root, 'tests/corpus/packs'));
const tmp = join(process.env.PACKLINE_BENCH_TMP ?? '/tmp/packline-bench', 'import');
mkdirSync(tmp, { recursive: true });

// Every input file and its expected result.
export function corpusInputs(dir = corpus, out = tmp) {
  const inputs = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.expected.json')).sort()) {
    const name = f.replace('.expected.json', '');
    const exp = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const txt = join(dir, `${name}.txt`);
    if (existsSync(txt) && !exp.pdf_only) inputs.push({ file: txt, exp });
    for (const v of exp.pdf ?? []) {
      const pdf = join(out, `${name}.${v}.pdf`);
      writeFileSync(pdf, textToPdf(readFileSync(txt, 'utf8'), { outline: v.includes('outline'), labels: exp.labels ?? [] }));
      inputs.push({ file: pdf, exp });
    }
    for (const x of readdirSync(dir).filter((y) => y.startsWith(`${name}.`) && y.endsWith('.pdf') && !(exp.pdf ?? []).some((v) => y === `${name}.${v}.pdf`)))
      inputs.push({ file: join(dir, x), exp });
  }
  return inputs;
}

const same = (a, b) => String(a ?? '').trim() === String(b ?? '').trim();

// [right, expected] for one preview against its expected JSON.
export function score(exp, got, misses = []) {
  let right = 0, expected = 0;
  const field = (ok, what = '') => { expected++; if (ok) right++; else misses.push(what); };
  if (!got) {
    field(false);
    return [right, expected + Object.keys(exp.meeting ?? {}).length + (exp.items ?? []).length * 3];
  }
  field(same(exp.kind, got.kind), `kind: ${got.kind}`);
  const m = exp.meeting ?? {}, gm = got.meeting ?? {};
  for (const k of ['body', 'date', 'time', 'venue', 'chair', 'quorum']) {
    if (!(k in m)) continue;
    field(k === 'body' ? same(m.body, gm.body) || same(m.body, gm.title) : same(m[k], gm[k]), `${k}: ${JSON.stringify(gm[k])}`);
  }
  if (m.vice_chairs) field(JSON.stringify(m.vice_chairs) === JSON.stringify(gm.vice_chairs ?? []), `vice_chairs: ${JSON.stringify(gm.vice_chairs)}`);
  if (m.members) {
    for (const n of m.members) field((gm.members ?? []).includes(n), `member missing: ${n}`);
    for (const n of gm.members ?? []) if (!m.members.includes(n)) field(false, `member extra: ${n}`);
  }
  const items = exp.items ?? [], gi = got.items ?? [];
  if (exp.kind !== 'document') {
    items.forEach((it, i) => {
      const g = gi[i];
      const w = `item ${i + 1}: ${JSON.stringify(g && { number: g.number, title: g.title, pages: g.pages, note: g.note, exempt: g.exempt, parent: g.parent })}`;
      field(g && same(it.number, g.number), w);
      field(g && same(it.title, g.title), w);
      field(g && same(it.pages, g.pages), w);
      if (it.note || g?.note) field(g && same(it.note, g.note), w);
      if ('exempt' in it) field(g && it.exempt === g.exempt, w);
      if (it.parent || g?.parent) field(g && same(it.parent, g.parent), w);
    });
    for (let i = items.length; i < gi.length; i++) field(false, `extra item: ${JSON.stringify(gi[i].number + ' ' + gi[i].title)}`);
  }
  const pri = exp.priorities ?? [];
  for (const t of pri) field((got.priorities ?? []).includes(t), `priority missing: ${t}`);
  for (const t of got.priorities ?? []) if (!pri.includes(t)) field(false, `priority extra: ${t}`);
  const ans = exp.answers ?? [];
  const times = (got.answers ?? []).map((a) => a.recording_time || (a.written ? 'written' : ''));
  for (const t of ans) field(times.includes(t), `answer missing: ${t}`);
  for (const t of times) if (!ans.includes(t)) field(false, `answer extra: ${t}`);
  return [right, expected];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const inputs = corpusInputs();
  const bin = join(root, 'build/bench/import_bench');
  const out = execFileSync(bin, inputs.map((x) => x.file), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const rows = out.trim().split('\n').map((l) => JSON.parse(l));
  let R = 0, E = 0, ms = 0;
  rows.forEach((r, i) => {
    const misses = [];
    const [right, expected] = score(inputs[i].exp, r.preview, misses);
    R += right; E += expected; ms += r.ms;
    const name = basename(r.file);
    console.log(JSON.stringify({ suite: 'import', case: name, impl: 'native', metric: 'fields_right', value: right, unit: `of ${expected}` }));
    console.log(JSON.stringify({ suite: 'import', case: name, impl: 'native', metric: 'structure_ms', value: Number(r.ms.toFixed(3)), unit: 'ms' }));
    console.error(`${name.padEnd(48)} ${String(right).padStart(3)}/${String(expected).padEnd(3)} ${(100 * right / expected).toFixed(1).padStart(5)}%  ${r.ms.toFixed(2)} ms${r.error ? `  error: ${r.error}` : ''}`);
    if (process.env.PACKLINE_IMPORT_DIFF) for (const x of new Set(misses)) console.error(`    ${x}`);
  });
  console.log(JSON.stringify({ suite: 'import', case: 'total', impl: 'native', metric: 'fields_right', value: R, unit: `of ${E}` }));
  console.log(JSON.stringify({ suite: 'import', case: 'total', impl: 'native', metric: 'percent', value: Number((100 * R / E).toFixed(2)), unit: '%' }));
  console.error(`${'total'.padEnd(48)} ${R}/${E} ${(100 * R / E).toFixed(1)}%  ${ms.toFixed(2)} ms over ${rows.length} files (${corpus})`);
}
