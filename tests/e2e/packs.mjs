// The real published packs in ../shared/packs (beside the repository, as in
// CI), and a PDF made from one by the system Chromium, so the clerk's import
// runs pdf.js on a real PDF: one PDF page per printed page of the pack (the
// text's "Page N" footers end a page).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './server.mjs';

export const packsDir = resolve(process.env.PACKLINE_PACKS ?? join(repoRoot, '..', 'shared', 'packs'));
// A clone alone has no real packs: the suites built on them are skipped, each
// test reported by name (node:test's `skip` option takes this reason).
export const havePacks = existsSync(join(packsDir, 'pcp-2020-12-10-agenda-pack.txt'));
export const withoutPacks = havePacks ? false : `the real packs are not at ${packsDir}`;

export function packText(name = 'pcp-2020-12-10-agenda-pack.txt') {
  return readFileSync(join(packsDir, name), 'utf8');
}

// Pages of a pack text: a line "Page N" closes a page.
export function packPages(text) {
  const pages = [];
  let cur = [];
  for (const line of text.split('\n')) {
    cur.push(line);
    if (/^Page \d+\s*$/.test(line)) {
      pages.push(cur.join('\n'));
      cur = [];
    }
  }
  if (cur.join('').trim()) pages.push(cur.join('\n'));
  return pages;
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// A PDF of the pages, rendered by Chromium (page.pdf), as a Buffer.
export async function packPdf(browser, pages) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const html = `<!doctype html><meta charset="utf-8"><style>
      @page { size: A4; margin: 12mm; }
      body { font: 7.5px/1.25 sans-serif; margin: 0; }
      .p { white-space: pre-wrap; break-after: page; }
      .p:last-child { break-after: auto; }
    </style>${pages.map((p) => `<div class="p">${esc(p)}</div>`).join('')}`;
    await page.setContent(html);
    return await page.pdf({ format: 'A4', printBackground: false });
  } finally {
    await context.close();
  }
}
