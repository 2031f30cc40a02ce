// crdt suite, JS side: the same trace and the same two modes as
// crdt_bench.cpp, for impl = yjs, automerge, loro (npm packages) and ours-wasm (the
// Emscripten build of client-core). One impl and mode per process, so peak
// RSS is that run's own. Prints JSON lines.
// usage: node --no-experimental-fetch crdt.mjs IMPL TRACE each|batch
import path from 'node:path';
import { createRequire } from 'node:module';
import { loadTrace } from './trace.mjs';

const [impl, traceName, mode] = process.argv.slice(2);
const trace = loadTrace(traceName);

function emit(metric, value, unit) {
  console.log(JSON.stringify({ suite: 'crdt', case: `${traceName}/${mode}`, impl, metric, value: Math.round(value * 1000) / 1000, unit }));
}

async function runYjs() {
  const Y = await import('yjs');
  const a = new Y.Doc(), b = new Y.Doc();
  a.clientID = 1; b.clientID = 2;
  const ta = a.getText('t');
  const t0 = performance.now();
  let wire = 0;
  if (mode === 'each') {
    a.on('update', (u) => { wire += u.length; Y.applyUpdate(b, u); });
    for (const [pos, del, ins] of trace.patches) {
      a.transact(() => { if (del) ta.delete(pos, del); if (ins) ta.insert(pos, ins); });
    }
  } else {
    a.transact(() => { for (const [pos, del, ins] of trace.patches) { if (del) ta.delete(pos, del); if (ins) ta.insert(pos, ins); } });
    const u = Y.encodeStateAsUpdate(a);
    wire = u.length;
    Y.applyUpdate(b, u);
  }
  const ms = performance.now() - t0;
  return { ms, a: ta.toString(), b: b.getText('t').toString(), encoded: Y.encodeStateAsUpdate(a).length, wire };
}

async function runAutomerge() {
  const A = await import('@automerge/automerge');
  // Automerge's splice counts UTF-16 code units; the traces count characters.
  // They agree unless the text holds astral symbols (reported if so).
  let a = A.from({ t: '' }, { actor: '01'.repeat(16) });
  let b = A.init({ actor: '02'.repeat(16) });
  const t0 = performance.now();
  let wire = 0;
  const hasAstral = /[\u{10000}-\u{10FFFF}]/u.test(trace.endContent);
  if (mode === 'each') {
    [b] = A.applyChanges(b, A.getAllChanges(a));
    // Each change as Automerge's docs send it to peers (getLastLocalChange).
    // Applying them one at a time to b grows with the document: the first
    // 5k/10k/20k edits take about 6/20/61 s here, so the whole trace in this
    // mode takes hours (the issue's ~50 s is the local changes alone).
    for (const [pos, del, ins] of trace.patches) {
      a = A.change(a, (d) => { A.splice(d, ['t'], pos, del, ins); });
      const c = A.getLastLocalChange(a);
      wire += c.length;
      [b] = A.applyChanges(b, [c]);
    }
  } else {
    a = A.change(a, (d) => { for (const [pos, del, ins] of trace.patches) A.splice(d, ['t'], pos, del, ins); });
    const saved = A.save(a);
    wire = saved.length;
    b = A.load(saved);
  }
  const ms = performance.now() - t0;
  return { ms, a: a.t.toString(), b: b.t.toString(), encoded: A.save(a).length, wire, note: hasAstral ? 'astral' : '' };
}

async function runLoro() {
  const { LoroDoc } = await import('loro-crdt');
  // LoroText counts Unicode code points, like the traces.
  const a = new LoroDoc(), b = new LoroDoc();
  a.setPeerId(1n); b.setPeerId(2n);
  const ta = a.getText('t');
  const t0 = performance.now();
  let wire = 0;
  if (mode === 'each') {
    // Each edit its own commit, sent as the update Loro hands to peers.
    const unsubscribe = a.subscribeLocalUpdates((u) => { wire += u.length; b.import(u); });
    for (const [pos, del, ins] of trace.patches) {
      if (del) ta.delete(pos, del);
      if (ins) ta.insert(pos, ins);
      a.commit();
    }
    unsubscribe();
  } else {
    for (const [pos, del, ins] of trace.patches) { if (del) ta.delete(pos, del); if (ins) ta.insert(pos, ins); }
    a.commit();
    const u = a.export({ mode: 'update' });
    wire = u.length;
    b.import(u);
  }
  const ms = performance.now() - t0;
  return { ms, a: ta.toString(), b: b.getText('t').toString(), encoded: a.export({ mode: 'snapshot' }).length, wire };
}

async function runOursWasm() {
  const modPath = path.resolve(import.meta.dirname, '../build-wasm/client-core/wasm/packline_core.mjs');
  globalThis.__dirname = path.dirname(modPath);
  globalThis.require = createRequire(import.meta.url);
  const { default: create } = await import(modPath);
  const core = await create({ locateFile: (f) => path.join(path.dirname(modPath), f) });
  const me = '01'.repeat(32);
  const a = new core.TextDoc(me), b = new core.TextDoc('02'.repeat(32));
  const t0 = performance.now();
  let wire = 0;
  if (mode === 'each') {
    for (const [pos, del, ins] of trace.patches) {
      if (del) { const u = a.remove(pos, del); wire += u.length; if (!b.applyEncoded(u, me)) throw new Error('apply failed'); }
      if (ins) { const u = a.insert(pos, ins); wire += u.length; if (!b.applyEncoded(u, me)) throw new Error('apply failed'); }
    }
  } else {
    for (const [pos, del, ins] of trace.patches) { if (del) a.remove(pos, del); if (ins) a.insert(pos, ins); }
    const enc = a.encode();
    wire = enc.length;
    if (!b.load(enc)) throw new Error('load failed');
  }
  const ms = performance.now() - t0;
  const r = { ms, a: a.text(), b: b.text(), encoded: a.encode().length, wire };
  a.delete(); b.delete();
  return r;
}

const runners = { yjs: runYjs, automerge: runAutomerge, loro: runLoro, 'ours-wasm': runOursWasm };
if (!runners[impl]) { console.error(`unknown impl ${impl}`); process.exit(2); }
const r = await runners[impl]();
if (r.a !== trace.endContent || r.b !== trace.endContent) {
  console.error(`${impl} ${traceName}/${mode}: final text differs from endContent (${r.a.length}/${r.b.length} vs ${trace.endContent.length})`);
  process.exit(1);
}
emit('ms', r.ms, 'ms');
emit('ops_per_s', trace.patches.length / (r.ms / 1000), 'ops/s');
emit('encoded_bytes', r.encoded, 'bytes');
if (mode === 'each') emit('wire_bytes', r.wire, 'bytes');
emit('peak_rss_mb', process.resourceUsage().maxRSS / 1024, 'MB');
