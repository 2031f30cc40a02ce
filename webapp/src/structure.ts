// Structuring a PDF pack off the page's thread: one import worker
// (import-worker.ts, its own WASM core) per page, started when the clerk is
// about to choose a file. Returns the preview JSON and the structured pack as
// bytes for the page's core (client.planImport, client.importPack).
import type { PackSource } from './core';

type Reply = { id: number; progress?: { stage: string; done: number; total: number }; error?: string; json?: string; parsed?: Uint8Array };

let worker: Worker | null = null;
let next = 1;
const waiting = new Map<number, { resolve: (r: Reply) => void; onProgress?: (done: number, total: number) => void }>();

function started(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const w = waiting.get(e.data.id);
      if (!w) return;
      if (e.data.progress) w.onProgress?.(e.data.progress.done, e.data.progress.total);
      else {
        waiting.delete(e.data.id);
        w.resolve(e.data);
      }
    };
    worker.onerror = (e) => {
      for (const [, w] of waiting) w.resolve({ id: 0, error: `the import worker stopped: ${e.message}` });
      waiting.clear();
      worker = null;
    };
  }
  return worker;
}

// Loads the worker's core ahead of the file (it compiles the WASM once).
export function warmUp(): void {
  started().postMessage({ id: 0, base: document.baseURI });
}

export function structure(source: PackSource, supplement: boolean, onProgress?: (done: number, total: number) => void):
  Promise<{ json: string; parsed: Uint8Array } | { error: string }> {
  const id = next++;
  return new Promise((resolve) => {
    waiting.set(id, {
      onProgress,
      resolve: (r) => resolve(r.error !== undefined || !r.parsed ? { error: r.error ?? 'the pack could not be structured' } : { json: r.json ?? '{}', parsed: r.parsed }),
    });
    // The page's copies of the runs' numbers are not needed after this.
    started().postMessage({ id, base: document.baseURI, source, supplement }, source.pages.map((p) => p.geom.buffer));
  });
}
