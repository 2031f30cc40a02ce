// The import worker: structures a pack (the neutral form pdf.js gave the
// page) and publishes it, with its own instance of the WASM core, so the page
// stays usable while a long pack is read and written. Structuring is the same
// core call as everywhere (pack::parse_source, as `parseSource`); the
// structured pack goes back as bytes. Publishing (`publishPack`) imports those
// bytes into a copy of the page's replica and sends back the changes it made,
// which the page's core adopts (client.adoptOwn) without doing the work again.
import type { CoreError, ImportOptions, ImportReport, PackSource } from './core';

interface Request { id: number; base: string; source: PackSource; supplement: boolean }
interface Publish { id: number; base: string; publish: { image: Uint8Array; input: Uint8Array | string; options: ImportOptions; nowMs: number } }
interface ParseCore {
  parseSource(src: PackSource, options: object): { json: string; parsed: Uint8Array } | { error: CoreError };
  publishPack(image: Uint8Array, input: Uint8Array | string, options: ImportOptions, nowMs: number):
    { report: ImportReport; changes: Uint8Array[] } | { error: CoreError };
}

let core: Promise<ParseCore> | null = null;
function load(base: string): Promise<ParseCore> {
  core ??= (async () => {
    const url = new URL('core/packline_core.mjs', base).href;
    const mod = await import(/* @vite-ignore */ url);
    const factory = (mod.default ?? mod.createPacklineCore) as (opts: object) => Promise<ParseCore>;
    return factory({ locateFile: (path: string) => new URL(path, url).href });
  })();
  return core;
}

self.onmessage = async (e: MessageEvent<Request | Publish | { id: 0; base: string }>) => {
  const { id, base } = e.data;
  try {
    const c = await load(base);
    if ('publish' in e.data) {
      const { image, input, options, nowMs } = e.data.publish;
      const r = c.publishPack(image, input, {
        ...options,
        onProgress: (stage: string, done: number, total: number) => postMessage({ id, progress: { stage, done, total } }),
      }, nowMs);
      if ('error' in r) postMessage({ id, error: r.error.message });
      else postMessage({ id, report: r.report, changes: r.changes }, { transfer: r.changes.map((b) => b.buffer) });
      return;
    }
    if (!('source' in e.data)) return;  // warm-up: the core is loaded
    const { source, supplement } = e.data;
    const r = c.parseSource(source, {
      supplement,
      onProgress: (stage: string, done: number, total: number) => postMessage({ id, progress: { stage, done, total } }),
    });
    if ('error' in r) postMessage({ id, error: r.error.message });
    else postMessage({ id, json: r.json, parsed: r.parsed }, { transfer: [r.parsed.buffer] });
  } catch (err) {
    postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
