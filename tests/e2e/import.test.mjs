// Pack import in the real webapp (pdf.js and the WASM core in Chromium)
// against the real server, on the team's own corpus (tests/corpus/packs):
// - a PDF gives the same agenda in the browser as natively (poppler), with
//   its outline and page labels used, evidence and confidence in the preview;
// - a 300-page PDF is read with progress and structured within 3 s, in
//   workers: a timer on the page keeps ticking meanwhile; it is published in
//   the import worker with its progress in pages, taken into the page's
//   replica change by change, and a member's tablet gets all of it;
// - import errors fit the clerk's screen, in plain words; a file with no
//   agenda is imported as a document, never refused;
// - front-sheet members are added only when the clerk ticks them, matched by
//   name, and never as a second chair;
// - a text pack shows no invented page numbers, an item's papers start at
//   its paper, and list bullets render once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLET_LANDSCAPE, launchBrowser, openTablet, shot, signIn, waitForHeader, waitForPage } from './browser.mjs';
import { makePdf, textToPdf } from '../corpus/makepdf.mjs';
import { PacklineServer, repoRoot } from './server.mjs';

const CLERK = 'Dana Whitfield';
const corpus = join(repoRoot, 'tests/corpus/packs');
const corpusText = (name) => readFileSync(join(corpus, `${name}.txt`), 'utf8');

let server;
let browser;
let clerk;
before(async () => {
  server = await PacklineServer.start('import');
  browser = await launchBrowser();
  clerk = await openTablet(browser, server.url, { name: 'clerk', viewport: TABLET_LANDSCAPE });
  await signIn(clerk.page, CLERK, { meeting: false });
  await clerk.page.getByRole('link', { name: 'Clerk' }).click();
  await clerk.page.getByRole('heading', { name: 'Publish a pack' }).waitFor();
});
after(async () => {
  await clerk?.context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function choose(name, mimeType, buffer) {
  const page = clerk.page;
  await page.getByLabel('Pack file').setInputFiles({ name, mimeType, buffer });
  await waitForPage(page, `${name} to be read`, () =>
    document.querySelector('#preview-count') || document.querySelector('#import-error')?.textContent);
}

const previewItems = (page) => page.locator('#preview-items tbody tr').evaluateAll((rows) =>
  rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.replace(/ \(exempt\)$/, ''))));

test('import: a PDF with an outline gives the same agenda in the browser as natively, with evidence and confidence', async () => {
  const page = clerk.page;
  const pdf = textToPdf(corpusText('p17-paged-papers'), { outline: true });
  // Native: the CLI's reading (poppler) through the same core.
  const file = join(mkdtempSync(join(tmpdir(), 'packline-import-')), 'p17-outline.pdf');
  writeFileSync(file, pdf);
  const native = JSON.parse(execFileSync(join(repoRoot, 'build/bench/import_bench'), [file], { encoding: 'utf8' })).preview;
  await choose('p17.pdf', 'application/pdf', pdf);
  const rows = await previewItems(page);
  assert.deepEqual(rows.map((r) => r.slice(0, 3)), native.items.map((i) => [i.number, i.title, i.pages || i.note]));
  assert.deepEqual(rows.map((r) => r[3]), native.items.map((i) => `page ${i.evidence.page}, line ${i.evidence.line}`));
  assert.match(await page.locator('#preview-count').textContent(), /^3 agenda items, 5 pages, placed with the PDF’s bookmarks/);
  const meeting = await page.locator('#preview-meeting tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent));
  const date = native.meeting.evidence.date;
  assert.ok(meeting.includes(`DateThursday, 7 March 2024page ${date.page}, line ${date.line}sure`), meeting.join(' | '));
  await shot(page, 'import-1-pdf-preview');

  // Page labels (front pages i and ii, then 1, 2, ...): used alike natively and in the browser.
  const labelled = readFileSync(join(corpus, 'p19-roman-front-pages.plain.pdf'));
  const nativeLabels = JSON.parse(execFileSync(join(repoRoot, 'build/bench/import_bench'),
    [join(corpus, 'p19-roman-front-pages.plain.pdf')], { encoding: 'utf8' })).preview;
  assert.equal(nativeLabels.page_labels_used, true);
  await choose('p19.pdf', 'application/pdf', labelled);
  assert.match(await page.locator('#preview-count').textContent(), /^3 agenda items, 6 pages, page numbers from the PDF’s page labels/);
  assert.deepEqual((await previewItems(page)).map((r) => r.slice(0, 3)), nativeLabels.items.map((i) => [i.number, i.title, i.pages || i.note]));
});

test('import: a 300-page PDF is read with progress and structured within 3 s', async () => {
  const page = clerk.page;
  const pages = [[
    { text: 'Longmarsh Police and Crime Panel', size: 16 }, { text: 'Date: Thursday, 5 March 2026' }, { text: 'Time: 10.00 am' },
    { text: 'AGENDA' }, { text: '1 APOLOGIES' }, { text: '2 MINUTES' }, { text: '2 - 150' }, { text: '3 BUDGET REPORT' }, { text: '151 - 300' },
  ]];
  for (let i = 2; i <= 300; i++) {
    const lines = [{ text: i === 2 ? 'MINUTES OF THE LAST MEETING' : i === 151 ? 'BUDGET REPORT' : `Section ${i}`, size: 13 }];
    for (let k = 0; k < 40; k++) lines.push({ text: `Paragraph ${k} of page ${i}: the panel noted the figures for the quarter and asked for more detail.` });
    pages.push(lines);
  }
  const pdf = makePdf({ pages });
  const seen = [];
  await page.exposeFunction('noteStatus', (t) => seen.push(t)).catch(() => {});
  await page.evaluate(() => {
    new MutationObserver(() => window.noteStatus(document.querySelector('#import-status')?.textContent ?? ''))
      .observe(document.querySelector('#import-status'), { childList: true, characterData: true, subtree: true });
  });
  // A timer on the page keeps ticking while the pack is read and structured:
  // the page is never blocked for long (pdf.js and the core's structuring
  // run in workers).
  // (From the app's "Reading the PDF" to the preview: handing the file to
  // the page is the harness's work.)
  await page.evaluate(() => {
    window.ticks = [];
    window.ticker = setInterval(() => window.ticks.push(performance.now()), 20);
    window.importStart = window.importEnd = 0;
    new MutationObserver(() => {
      if (!window.importStart && /^Reading the PDF/.test(document.querySelector('#import-status')?.textContent ?? '')) window.importStart = performance.now();
      if (!window.importEnd && document.querySelector('#preview-count')) window.importEnd = performance.now();
    }).observe(document.querySelector('.clerk'), { childList: true, characterData: true, subtree: true });
  });
  const t0 = Date.now();
  await choose('long.pdf', 'application/pdf', pdf);
  const wall = Date.now() - t0;
  await page.waitForTimeout(200);  // the first tick after the preview
  const { ticks, start, end } = await page.evaluate(() => {
    clearInterval(window.ticker);
    return { ticks: window.ticks, start: window.importStart, end: window.importEnd };
  });
  // Pauses that began while the pack was read and structured (a tick is due
  // every 20 ms, so one that began more than 25 ms before the preview).
  const gaps = ticks.slice(1).map((t, i) => [ticks[i], t]).filter(([a, b]) => b > start && a < end - 25);
  const longest = Math.max(...gaps.map(([a, b]) => b - a));
  assert.match(await page.locator('#preview-count').textContent(), /^3 agenda items, 300 pages/);
  assert.ok(seen.some((s) => /Reading the PDF: page \d+ of 300/.test(s)), 'progress is shown');
  // The clerk is told how long it took, from choosing the file to the preview.
  const status = await page.locator('#import-status').textContent();
  const secs = Number(/^Read long\.pdf in ([\d.]+) s\./.exec(status)?.[1]);
  console.log(`300-page PDF read and structured in Chromium in ${secs} s (${wall} ms with the file's upload to the page); ` +
    `the page's longest pause meanwhile: ${Math.round(longest)} ms over ${gaps.length} ticks`);
  // The goal is 3 s on this machine; other work sharing its cores slows
  // everything alike, so a loaded machine gets proportionally longer.
  const load = Math.max(1, loadavg()[0] / cpus().length);
  if (load > 1) console.log(`the machine is loaded (${loadavg()[0].toFixed(1)} on ${cpus().length} cores): allowing ${(3 * load).toFixed(1)} s`);
  assert.ok(secs < 3 * load, status);
  // Structuring on the page's thread paused it for 400-800 ms; a pause of
  // half a second means something long is back on it.
  assert.ok(seen.some((s) => /^Finding the agenda in 300 pages/.test(s)), 'structuring progress is shown');
  assert.ok(longest < 500 * load, `the page paused for ${Math.round(longest)} ms`);
});

test('import: the 300-page pack is published in the import worker with its progress in pages; a member gets all of it', async () => {
  // (The preview of the last test is on the screen.)
  const page = clerk.page;
  const seen = [];
  await page.exposeFunction('notePublish', (t) => seen.push(t));
  await page.evaluate(() => {
    new MutationObserver(() => window.notePublish(document.querySelector('#import-status')?.textContent ?? ''))
      .observe(document.querySelector('#import-status'), { childList: true, characterData: true, subtree: true });
    window.pticks = [];
    window.pticker = setInterval(() => window.pticks.push(performance.now()), 20);
  });
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#publish-progress').waitFor();
  await page.locator('#import-result').waitFor({ timeout: 120_000 });
  const ticks = await page.evaluate(() => {
    clearInterval(window.pticker);
    return window.pticks;
  });
  assert.match(await page.locator('#import-result').textContent(), /^Published version 1: 3 items, \d+ passages\./);
  // The clerk saw how far it was, in pages, then as it was taken into this tablet.
  assert.ok(seen.some((s) => /^Publishing: page \d+ of 300…/.test(s)), `publishing progress in pages: ${seen.slice(0, 5).join(' | ')}`);
  assert.ok(seen.some((s) => /^Adding it to this tablet: \d+ of \d+…/.test(s)), 'the changes taken in, counted');
  const longest = Math.max(...ticks.slice(1).map((t, i) => t - ticks[i]));
  console.log(`300-page pack published in the worker; the page's longest pause meanwhile: ${Math.round(longest)} ms over ${ticks.length} ticks`);
  await page.locator('#import-result').scrollIntoViewIfNeeded();
  await shot(page, 'import-2-published-in-worker');
  await waitForHeader(page, 'Synced', 0, 60_000);
  // Another tablet gets the whole pack: it becomes current only in its last change.
  const member = await openTablet(browser, server.url, { name: 'member', viewport: TABLET_LANDSCAPE });
  try {
    await signIn(member.page, 'Cllr Jo Bennett', { meeting: false });
    const href = await page.getByRole('link', { name: 'Open the published pack' }).getAttribute('href');
    await member.page.goto(new URL(href, member.page.url()).href);
    await member.page.locator('.reader-items a', { hasText: /BUDGET REPORT/i }).click({ timeout: 60_000 });
    await member.page.locator('.pack-text', { hasText: 'Paragraph 39 of page 300' }).waitFor({ timeout: 60_000 });
  } finally {
    await member.context.close();
  }
});

test('import: errors fit the clerk’s screen; a file with no agenda is imported as a document', async () => {
  const page = clerk.page;
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  await choose('photo.png', 'image/png', png);
  const err = await page.locator('#import-error').textContent();
  assert.equal(err, 'photo.png: this is a picture, not an agenda pack. Choose the pack as a PDF or a text file. Nothing was published.');
  await choose('pack.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', Buffer.from('PK\x03\x04rest', 'binary'));
  assert.match(await page.locator('#import-error').textContent(), /Save it as PDF, then choose the PDF here/);
  await choose('empty.txt', 'text/plain', Buffer.from('   \n'));
  assert.equal(await page.locator('#import-error').textContent(), 'empty.txt: the file is empty. Nothing was published.');
  for (const e of [err, await page.locator('#import-error').textContent()]) {
    assert.doesNotMatch(e, /native client|into that meeting/);
  }
  // A letter with no agenda: not refused.
  await choose('letter.txt', 'text/plain', Buffer.from(corpusText('p13-no-agenda-letter')));
  assert.equal(await page.locator('#import-error').textContent(), '');
  await page.locator('#preview-no-agenda').waitFor();
  assert.match(await page.locator('#preview-count').textContent(), /^1 agenda item/);
  await shot(page, 'import-2-no-agenda');
});

test('import: front-sheet members are added only when the clerk ticks them, matched by name, never a second chair', async () => {
  const page = clerk.page;
  const membersBefore = await page.locator('#clerk-members li, .clerk .plain-list li').count();
  // The demo panel's chair is Cllr Alex Morgan; this front sheet names another chair.
  const pack = corpusText('p01-labels-paragraph-membership').replace('Fred Hollis', 'Fred Hollis and Cllr Tom Rees');
  await choose('westmarch.txt', 'text/plain', Buffer.from(pack));
  const plan = await page.locator('#preview-members li').allTextContents();
  assert.ok(plan.includes('Cllr Tom Rees: already on the panel (matched by name)'), plan.join(' | '));
  assert.ok(plan.some((l) => /^Ann Carver: not on the panel; would be added as Panel member \(the panel already has a chair \(Cllr Alex Morgan\); added as a member\)$/.test(l)), plan.join(' | '));
  assert.equal(await page.getByLabel('Add these 6 members to the panel').isChecked(), false);
  await shot(page, 'import-3-members-preview');
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor();
  assert.doesNotMatch(await page.locator('#import-result').textContent(), /members? added/);
  // A revised version, confirmed this time.
  await choose('westmarch-v2.txt', 'text/plain', Buffer.from(pack.replace('Time: 10.30 am', 'Time: 11.00 am')));
  await page.getByLabel('Add these 6 members to the panel').check();
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor();
  assert.match(await page.locator('#import-result').textContent(), /6 members added to the panel/);
  await waitForHeader(page, 'Synced', 0);
  const roles = await page.evaluate(() => document.body.innerText);
  assert.ok(membersBefore >= 0 && roles.includes('Ann Carver'));
});

test('import: a text pack shows no invented pages, papers start at their paper, bullets render once', async () => {
  const page = clerk.page;
  const pack = corpusText('p01-labels-paragraph-membership').replace('The Commissioner proposes', '- The Commissioner proposes');
  await choose('westmarch-v3.txt', 'text/plain', Buffer.from(pack.replace('Time: 10.30 am', 'Time: 11.30 am')));
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor();
  await page.getByRole('link', { name: 'Open the published pack' }).click();
  await page.getByRole('link', { name: /PROPOSED PRECEPT 2021\/22/ }).click();
  await page.locator('.pack-text [data-block]').first().waitFor();
  const first = await page.locator('.pack-text [data-block]').first().textContent();
  assert.doesNotMatch(first, /To review the Commissioner/, 'the agenda line stays on the front sheet');
  assert.match(first, /PROPOSED PRECEPT 2021\/22/);
  const text = await page.locator('.pack-text').innerText();
  assert.doesNotMatch(text, /Page 1\b|Page 2\b/, 'no page is made up for unmarked text');
  assert.doesNotMatch(text, /•\s*-/, 'a bullet shows once');
  assert.match(text, /The Commissioner proposes/);
  await shot(page, 'import-4-text-reader');
});

test('import: minutes added to a meeting already here, with their recording times', async () => {
  const page = clerk.page;
  await page.getByRole('link', { name: 'Clerk' }).click();
  await page.getByRole('heading', { name: 'Publish a pack' }).waitFor();
  const options = await page.locator('#import-into option').allTextContents();
  const into = await page.locator('#import-into option').evaluateAll((os) =>
    os.find((o) => o.textContent.startsWith('Minutes or a supplement for Westmarch Police and Crime Panel'))?.value);
  assert.ok(into, options.join(' | '));
  await page.getByLabel('Publish as').selectOption(into);
  const minutes = 'MINUTES OF THE MEETING HELD ON 4 FEBRUARY 2021\n\nIn response to a question about the precept, the Treasurer said ' +
    'the increase would fund 20 officers (00.35.11 on the recording).\n\nIn response to questions, the Chair thanked the panel.\n';
  await choose('westmarch-minutes.txt', 'text/plain', Buffer.from(minutes));
  const notice = await page.locator('#preview-supplement').textContent();
  assert.match(notice, /^To be added to Westmarch Police and Crime Panel, .*4 February 2021 as “MINUTES OF THE MEETING HELD ON 4 FEBRUARY 2021”, with 1 answers and their recording times\.$/);
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor();
  assert.match(await page.locator('#import-result').textContent(), /^Published version \d+: 1 items/);
  await page.getByLabel('Publish as').selectOption('');
});
