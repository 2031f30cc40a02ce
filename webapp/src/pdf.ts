// A PDF as the import's neutral form, read with pdf.js (loaded only when the
// clerk imports a PDF; its code and worker are separate files, precached for
// offline use). pdf.js parses in its own worker; here each page's text runs
// (with position, size and weight), the page labels and the outline are
// collected. The core groups runs into lines and structures the pack, the
// same core and the same lines as the native client's poppler reading.
import type { PackSource } from './core';

interface OutlineNode { title: string; dest: string | unknown[] | null; items?: OutlineNode[] }

export async function pdfSource(data: ArrayBuffer, onPage?: (done: number, total: number) => void): Promise<PackSource> {
  const pdfjs = await import('pdfjs-dist');
  const worker = (await import('pdfjs-dist/build/pdf.worker.min.mjs?url')).default;
  pdfjs.GlobalWorkerOptions.workerSrc = worker;
  const doc = await pdfjs.getDocument({ data, isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  try {
    const labels = (await doc.getPageLabels().catch(() => null)) ?? [];
    // Each page's runs as one string (runs separated by NUL) and five numbers
    // per run (x, y, width, size, bold): cheap to hand to the core. Pages are
    // asked for in batches so the worker never waits on this thread.
    const pages: PackSource['pages'] = new Array(doc.numPages);
    let done = 0;
    const readPage = async (i: number): Promise<void> => {
      const page = await doc.getPage(i);
      const height = page.getViewport({ scale: 1 }).height;
      const content = await page.getTextContent();
      const texts: string[] = [];
      const geom: number[] = [];
      for (const item of content.items) {
        if (!('str' in item) || !item.str.trim()) continue;
        const [a, b, , , e, f] = item.transform as number[];
        const size = Math.hypot(a, b);
        // Top of the text, y growing down the page, as poppler reports it.
        texts.push(item.str.replace(/\0/g, ''));
        geom.push(e, height - f - size, item.width, size, /bold|black|heavy/i.test(item.fontName) ? 1 : 0);
      }
      pages[i - 1] = { text: texts.join('\0'), geom: Float64Array.from(geom), label: labels[i - 1] ?? '' };
      page.cleanup();
      onPage?.(++done, doc.numPages);
    };
    const BATCH = 32;
    for (let i = 1; i <= doc.numPages; i += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, doc.numPages - i + 1) }, (_, k) => readPage(i + k)));
    }
    const outline: PackSource['outline'] = [];
    const walk = async (nodes: OutlineNode[] | null, level: number): Promise<void> => {
      for (const n of nodes ?? []) {
        let page = 0;
        try {
          const dest = typeof n.dest === 'string' ? await doc.getDestination(n.dest) : n.dest;
          const ref = Array.isArray(dest) ? dest[0] : null;
          if (ref && typeof ref === 'object') page = (await doc.getPageIndex(ref as Parameters<typeof doc.getPageIndex>[0])) + 1;
          else if (typeof ref === 'number') page = ref + 1;
        } catch {
          // a bookmark that points nowhere keeps page 0
        }
        outline.push({ title: n.title, page, level });
        await walk(n.items ?? null, level + 1);
      }
    };
    await walk((await doc.getOutline()) as OutlineNode[] | null, 0);
    return { pages, outline };
  } finally {
    await doc.destroy();
  }
}
