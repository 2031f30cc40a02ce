// A tiny PDF writer for the import corpus: pages of text lines in Helvetica
// (regular or bold, any size), an optional outline (bookmarks) and optional
// page labels, as committee systems publish them. Used by bench/run import,
// the browser tests and `node tests/corpus/makepdf.mjs` (which writes the
// corpus PDFs the native tests read).
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// WinAnsi bytes for the few non-ASCII characters the corpus uses.
const winAnsi = { '\u2013': 0x96, '\u2014': 0x97, '\u2018': 0x91, '\u2019': 0x92, '\u201c': 0x93, '\u201d': 0x94, '\u00a3': 0xa3, '\u2022': 0x95, '\u00e9': 0xe9 };

function pdfString(s) {
  let out = '(';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '(' || ch === ')' || ch === '\\') out += '\\' + ch;
    else if (c >= 32 && c < 127) out += ch;
    else if (winAnsi[ch] !== undefined) out += '\\' + winAnsi[ch].toString(8).padStart(3, '0');
    else out += '?';
  }
  return out + ')';
}

// pages: [[{ text, size = 10, bold = false }]] top to bottom; outline: [{ title, page (1-based), level = 0 }];
// labels: [{ from (0-based page index), style: 'D' | 'r', start = 1 }]. Returns a Buffer.
export function makePdf({ pages, outline = [], labels = [] }) {
  const objs = []; // index+1 = object number
  const add = (body) => { objs.push(body); return objs.length; };
  const catalog = add(null);
  const pagesObj = add(null);
  const f1 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const f2 = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  const pageIds = [];
  for (const lines of pages) {
    let y = 800;
    let content = '';
    for (const l of lines) {
      const size = l.size ?? 10;
      y -= size * 1.45;
      if (l.text.trim()) content += `BT /${l.bold ? 'F2' : 'F1'} ${size} Tf ${l.x ?? 56} ${y.toFixed(1)} Td ${pdfString(l.text)} Tj ET\n`;
    }
    const stream = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
    pageIds.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${f1} 0 R /F2 ${f2} 0 R >> >> /Contents ${stream} 0 R >>`));
  }
  objs[pagesObj - 1] = `<< /Type /Pages /Kids [${pageIds.map((p) => `${p} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  let extra = '';
  if (outline.length) {
    const root = add(null);
    const tops = [];
    const nodes = outline.map((o) => ({ ...o, level: o.level ?? 0, id: add(null), kids: [] }));
    const stack = [];
    for (const n of nodes) {
      while (stack.length && stack[stack.length - 1].level >= n.level) stack.pop();
      if (stack.length) { n.parent = stack[stack.length - 1]; n.parent.kids.push(n); } else tops.push(n);
      stack.push(n);
    }
    const link = (list, parentId) => list.forEach((n, i) => {
      let d = `<< /Title ${pdfString(n.title)} /Parent ${parentId} 0 R /Dest [${pageIds[n.page - 1]} 0 R /XYZ 0 842 0]`;
      if (i > 0) d += ` /Prev ${list[i - 1].id} 0 R`;
      if (i + 1 < list.length) d += ` /Next ${list[i + 1].id} 0 R`;
      if (n.kids.length) d += ` /First ${n.kids[0].id} 0 R /Last ${n.kids[n.kids.length - 1].id} 0 R /Count ${n.kids.length}`;
      objs[n.id - 1] = d + ' >>';
      link(n.kids, n.id);
    });
    link(tops, root);
    objs[root - 1] = `<< /Type /Outlines /First ${tops[0].id} 0 R /Last ${tops[tops.length - 1].id} 0 R /Count ${tops.length} >>`;
    extra += ` /Outlines ${root} 0 R /PageMode /UseOutlines`;
  }
  if (labels.length) extra += ` /PageLabels << /Nums [${labels.map((l) => `${l.from} << /S /${l.style ?? 'D'}${l.start ? ` /St ${l.start}` : ''} >>`).join(' ')}] >>`;
  objs[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R${extra} >>`;
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objs.forEach((body, i) => { offsets.push(Buffer.byteLength(out, 'latin1')); out += `${i + 1} 0 obj\n${body}\nendobj\n`; });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// A corpus text as PDF pages: form feeds end pages; "# " lines are bold
// headings at 14 pt, a first line at 16 pt (the committee's name). With
// `outline`, each agenda item that has papers gets a bookmark to its first page.
export function textToPdf(text, { outline = false, labels = [] } = {}) {
  const pages = text.split('\f').map((p, pi) => p.replace(/\n+$/, '').split('\n').map((line, li) => {
    if (pi === 0 && li === 0) return { text: line, size: 16, bold: true };
    if (line.startsWith('# ')) return { text: line.slice(2), size: 13, bold: true };
    return { text: line.replace(/\t/g, '    '), size: 10 };
  }));
  const marks = [];
  if (outline) {
    pages.forEach((p, i) => {
      const first = p.find((l) => l.bold && l.text.trim());
      if (i > 0 && first) marks.push({ title: first.text, page: i + 1 });
    });
  }
  return makePdf({ pages, outline: marks, labels });
}

// node tests/corpus/makepdf.mjs: writes <name>.pdf (and <name>.outline.pdf)
// for every corpus text that lists "pdf" in its expected JSON.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'packs');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.expected.json'))) {
    const exp = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    if (!exp.pdf) continue;
    const name = f.replace('.expected.json', '');
    const text = readFileSync(join(dir, `${name}.txt`), 'utf8');
    for (const v of exp.pdf) {
      writeFileSync(join(dir, `${name}.${v}.pdf`), textToPdf(text, { outline: v.includes('outline'), labels: exp.labels ?? [] }));
      console.log(`wrote ${name}.${v}.pdf`);
    }
  }
}
