// Structuring and publishing a pack off the page's thread: one import worker
// (import-worker.ts, its own WASM core) per page, started when the clerk is
// about to choose a file. structure() returns the preview JSON and the
// structured pack as bytes (client.planImport); publish() imports those bytes
// into a copy of the page's replica and returns the changes it made, which
// the page's core adopts (client.adoptOwn).
import type { ImportOptions, ImportReport, PackSource } from './core';

type Reply = {
  id: number; progress?: { stage: string; done: number; total: number }; error?: string; json?: string; parsed?: Uint8Array;
  report?: ImportReport; changes?: Uint8Array[];
};

let worker: Worker | null = null;
let next = 1;
type Progress = (done: number, total: number, stage: string) => void;
const waiting = new Map<number, { resolve: (r: Reply) => void; onProgress?: Progress }>();

function started(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const w = waiting.get(e.data.id);
      if (!w) return;
      if (e.data.progress) w.onProgress?.(e.data.progress.done, e.data.progress.total, e.data.progress.stage);
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

// Publishes `input` (the structured pack's bytes, or a text file) in the worker, into `image` (the
// page's replica, client.plainImage: the worker's copy is dropped after).
// Progress is the core's: stage "write", passages written of all.
export function publish(image: Uint8Array, input: Uint8Array | string, options: ImportOptions, nowMs: number, onProgress?: Progress):
  Promise<{ report: ImportReport; changes: Uint8Array[] } | { error: string }> {
  const id = next++;
  return new Promise((resolve) => {
    waiting.set(id, {
      onProgress,
      resolve: (r) => resolve(r.error !== undefined || !r.report || !r.changes
        ? { error: r.error ?? 'the pack could not be published' } : { report: r.report, changes: r.changes }),
    });
    started().postMessage({ id, base: document.baseURI, publish: { image, input, options, nowMs } }, [image.buffer]);
  });
}
