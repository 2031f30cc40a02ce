// A PDF as the import's neutral form, read with pdf.js (loaded only when the
// clerk imports a PDF; its code and worker are separate files, precached for
// offline use). pdf.js parses in its own worker; here each page's text runs
// (with position, size and weight), the page labels and the outline are
// collected. The core groups runs into lines and structures the pack, the
// same core and the same lines as the native client's poppler reading.
import type { PackSource, SourceRun } from './core';

interface OutlineNode { title: string; dest: string | unknown[] | null; items?: OutlineNode[] }

export async function pdfSource(data: ArrayBuffer, onPage?: (done: number, total: number) => void): Promise<PackSource> {
  const pdfjs = await import('pdfjs-dist');
  const worker = (await import('pdfjs-dist/build/pdf.worker.min.mjs?url')).default;
  pdfjs.GlobalWorkerOptions.workerSrc = worker;
  const doc = await pdfjs.getDocument({ data, isEvalSupported: false }).promise;
  try {
    const labels = (await doc.getPageLabels().catch(() => null)) ?? [];
    const pages: PackSource['pages'] = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const height = page.getViewport({ scale: 1 }).height;
      const content = await page.getTextContent();
      const runs: SourceRun[] = [];
      for (const item of content.items) {
        if (!('str' in item) || !item.str.trim()) continue;
        const [a, b, , , e, f] = item.transform as number[];
        const size = Math.hypot(a, b);
        // Top of the text, y growing down the page, as poppler reports it.
        runs.push({ text: item.str, x: e, y: height - f - size, width: item.width, size, bold: /bold|black|heavy/i.test(item.fontName) });
      }
      pages.push({ runs, label: labels[i - 1] ?? '' });
      page.cleanup();
      onPage?.(i, doc.numPages);
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
