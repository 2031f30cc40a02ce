// PDF to text per page with pdf.js, loaded only when the clerk imports a PDF
// (its code and worker are separate files, precached for offline use). Only
// text extraction happens here; the core structures the pack.

export async function pdfPages(data: ArrayBuffer, onPage?: (done: number, total: number) => void): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist');
  const worker = (await import('pdfjs-dist/build/pdf.worker.min.mjs?url')).default;
  pdfjs.GlobalWorkerOptions.workerSrc = worker;
  const doc = await pdfjs.getDocument({ data, isEvalSupported: false }).promise;
  const pages: string[] = [];
  try {
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text);
      page.cleanup();
      onPage?.(i, doc.numPages);
    }
  } finally {
    await doc.destroy();
  }
  return pages;
}
