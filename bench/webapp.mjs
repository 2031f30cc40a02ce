// Webapp size and speed budget, measured with the real
// server binary and the system Chromium: prints one JSON line per result,
// {"suite":"webapp","case","impl":"ours","metric","value","unit"}.
//   - gzip bytes of the app shell (what a cold start loads), of the WASM core,
//     and of the PDF import code (loaded only when the clerk imports a PDF);
//   - time from navigation to a usable reader on a cached cold start (browser
//     restarted with the same profile, no network, server down);
//   - a generated 300-page pack: time to import it (clerk), the page's
//     longest task and all its long tasks while publishing, to open its
//     largest item in the reader, and to search the whole pack.
//   - a tablet's first visit on a weak connection: Lighthouse (npm, in bench/)
//     in its mobile profile (simulated slow 4G, 4x CPU slowdown) against the
//     real server: first and largest contentful paint, total blocking time,
//     time to interactive, bytes transferred and the WASM core's share; then
//     the same throttling applied for real (devtools) to time the moment the
//     sign-in list can be used (the app's `packline-signin-usable` mark).
//     PACKLINE_BENCH_LIGHTHOUSE=0 skips it.
// Needs build/sync-server/packline-server (or $PACKLINE_SERVER) and webapp/dist
// (npm --prefix webapp run build). Timings are medians of $PACKLINE_BENCH_RUNS (default 5).
// PACKLINE_BENCH_PAGES and PACKLINE_BENCH_PARAGRAPHS (per page) size the generated pack.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  TABLET_LANDSCAPE, closeProfileTablets, launchBrowser, openProfileTablet, openTablet, signIn, waitForHeader, waitForStored,
} from '../tests/e2e/browser.mjs';
import { PacklineServer, repoRoot } from '../tests/e2e/server.mjs';

const RUNS = Number(process.env.PACKLINE_BENCH_RUNS ?? 5);
const PAGES = Number(process.env.PACKLINE_BENCH_PAGES ?? 300);
// Paragraphs per page of the generated pack (40 makes about 12,000 passages).
const PARAGRAPHS = Number(process.env.PACKLINE_BENCH_PARAGRAPHS ?? 5);
const dist = process.env.PACKLINE_WEBAPP ?? join(repoRoot, 'webapp', 'dist');

function emit(kase, metric, value, unit) {
  console.log(JSON.stringify({ suite: 'webapp', case: kase, impl: 'ours', metric, value, unit }));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;

// ---- sizes -----------------------------------------------------------------
function sizes() {
  const assets = readdirSync(join(dist, 'assets'));
  const index = readFileSync(join(dist, 'index.html'), 'utf8');
  // The shell: the page, what it links directly, the manifest and the service worker.
  const linked = assets.filter((a) => index.includes(`assets/${a}`));
  const shell = ['index.html', 'manifest.webmanifest', 'sw.js', ...linked.map((a) => `assets/${a}`)];
  const pdf = assets.filter((a) => /^pdf/.test(a)).map((a) => `assets/${a}`);
  const sum = (fs) => fs.reduce((n, f) => n + gz(f), 0);
  const raw = (fs) => fs.reduce((n, f) => n + statSync(join(dist, f)).size, 0);
  emit('app_shell', 'gzip_bytes', sum(shell), 'bytes');
  emit('app_shell', 'raw_bytes', raw(shell), 'bytes');
  emit('wasm_core', 'gzip_bytes', sum(['core/packline_core.wasm', 'core/packline_core.mjs']), 'bytes');
  emit('wasm_core', 'raw_bytes', raw(['core/packline_core.wasm', 'core/packline_core.mjs']), 'bytes');
  // What a browser taking brotli downloads of the WASM (goal: 600,000 bytes at most).
  emit('wasm_core', 'wasm_brotli_bytes', statSync(join(dist, 'core/packline_core.wasm.br')).size, 'bytes');
  emit('pdf_import_lazy', 'gzip_bytes', sum(pdf), 'bytes');
}

// ---- a generated pack of PAGES pages -----------------------------------------
function bigPack(pages) {
  const real = readFileSync(join(repoRoot, '..', 'shared', 'packs', 'pcp-2020-12-10-agenda-pack.txt'), 'utf8');
  const sentences = real.replace(/\s+/g, ' ').split(/(?<=[.?!]) (?=[A-Z])/).filter((s) => s.length > 40 && s.length < 300);
  const items = 10;
  const per = Math.floor((pages - 2) / items);
  const titles = Array.from({ length: items }, (_, i) => `REPORT NUMBER ${i + 1} ON POLICING IN THE COUNTY`);
  const front = [
    'Dorset Police and Crime Panel', '',
    'Date: Thursday, 9 December 2027', 'Time: 10.00 am', 'Venue: Council Chamber, County Hall, Dorchester', '',
    'Membership: (Quorum 3)', '', 'Mike Short (Chairman), Bobbie Dove (Vice-Chairman), Pete Barrow and May Haines', '',
    'A G E N D A', '', 'Page No.', '',
    ...titles.flatMap((t, i) => [`${i + 1} ${t}`, '', `${3 + i * per} - ${2 + (i + 1) * per}`, '', `To receive report ${i + 1}.`, '']),
  ].join('\n');
  const out = [front, 'Page 1', '\f', 'This page is intentionally left blank', '', 'Page 2'];
  let k = 0;
  for (let p = 3; p < 3 + items * per; p++) {
    const lines = ['\f'];
    const item = Math.floor((p - 3) / per);
    if ((p - 3) % per === 0) lines.push(titles[item], '');
    for (let para = 0; para < PARAGRAPHS; para++) {
      lines.push(Array.from({ length: 3 }, () => sentences[k++ % sentences.length]).join(' '), '');
    }
    lines.push(`Page ${p}`);
    out.push(lines.join('\n'));
  }
  return out.join('\n');
}

// Runs fn in the page and returns how long until the next frame after it (ms).
function timed(page, fn, arg) {
  return page.evaluate(async ([src, a]) => {
    const f = new Function(`return (${src})`)();
    const t0 = performance.now();
    await f(a);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  }, [fn.toString(), arg]);
}

// ---- first visit on slow 4G (Lighthouse) ------------------------------------
async function firstVisit() {
  const { default: lighthouse } = await import('lighthouse');
  const chromeLauncher = await import('chrome-launcher');
  const server = await PacklineServer.start('bench-lighthouse');
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.PACKLINE_CHROMIUM ?? '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'],
  });
  const mobile = { formFactor: 'mobile', screenEmulation: { mobile: true, width: 412, height: 823, deviceScaleFactor: 1.75, disabled: false } };
  // Lighthouse's mobile defaults: slow 4G (150 ms RTT, 1.6 Mbps down) and a 4x slower CPU.
  const slow4g = { rttMs: 150, throughputKbps: 1638.4, requestLatencyMs: 562.5, downloadThroughputKbps: 1474.56, uploadThroughputKbps: 675, cpuSlowdownMultiplier: 4 };
  const run = async (method) => {
    const r = await lighthouse(server.url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] },
      { extends: 'lighthouse:default', settings: { ...mobile, throttlingMethod: method, throttling: slow4g, disableStorageReset: false } });
    return r.lhr;
  };
  try {
    const sim = [], real = [];
    for (let i = 0; i < Math.min(RUNS, 3); i++) {
      const lhr = await run('simulate');
      const a = lhr.audits;
      const wasm = (a['network-requests'].details?.items ?? []).find((it) => it.url.endsWith('.wasm'));
      sim.push({
        fcp: a['first-contentful-paint'].numericValue, lcp: a['largest-contentful-paint'].numericValue,
        tbt: a['total-blocking-time'].numericValue, tti: a.interactive.numericValue,
        bytes: a['total-byte-weight'].numericValue, wasm: wasm?.transferSize ?? 0,
      });
      // Which element Lighthouse took as the largest contentful paint.
      const lcpNode = a['largest-contentful-paint-element'].details?.items?.[0]?.items?.[0]?.node;
      console.error(`bench webapp: largest contentful paint ${Math.round(a['largest-contentful-paint'].numericValue)} ms on ` +
        `${lcpNode?.selector ?? '(unknown)'}: ${JSON.stringify(lcpNode?.nodeLabel ?? '')}`);
      const lhr2 = await run('devtools');
      const mark = (lhr2.audits['user-timings'].details?.items ?? []).find((it) => it.name === 'packline-signin-usable');
      if (mark) real.push(mark.startTime);
    }
    const m = (k) => median(sim.map((x) => x[k]));
    emit('first_visit_slow4g', 'first_contentful_paint_ms', Math.round(m('fcp')), 'ms');
    emit('first_visit_slow4g', 'largest_contentful_paint_ms', Math.round(m('lcp')), 'ms');
    emit('first_visit_slow4g', 'total_blocking_time_ms', Math.round(m('tbt')), 'ms');
    emit('first_visit_slow4g', 'time_to_interactive_ms', Math.round(m('tti')), 'ms');
    emit('first_visit_slow4g', 'transferred_bytes', Math.round(m('bytes')), 'bytes');
    emit('first_visit_slow4g', 'wasm_transferred_bytes', Math.round(m('wasm')), 'bytes');
    if (real.length) emit('first_visit_slow4g', 'signin_usable_ms', Math.round(median(real)), 'ms');
    else console.error('bench webapp: the packline-signin-usable mark was never set');
  } finally {
    await chrome.kill();
    await server.stop();
  }
}

async function main() {
  sizes();
  if (process.env.PACKLINE_BENCH_LIGHTHOUSE !== '0') await firstVisit();
  const server = await PacklineServer.start('bench-webapp');
  const browser = await launchBrowser();
  const profile = mkdtempSync(join(tmpdir(), 'packline-bench-profile-'));
  try {
    // The clerk publishes the big pack from a text file.
    const clerk = await openTablet(browser, server.url, { name: 'clerk', viewport: TABLET_LANDSCAPE });
    await signIn(clerk.page, 'Dana Whitfield', { meeting: false });
    await clerk.page.goto(`${server.url}#/clerk`);
    const text = bigPack(PAGES);
    await clerk.page.getByLabel('Pack file').setInputFiles({ name: 'big-pack.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await clerk.page.locator('#preview-count').waitFor({ timeout: 60_000 });
    emit(`pack_${PAGES}p`, 'text_bytes', Buffer.byteLength(text), 'bytes');
    // The page's long tasks (over 50 ms) from the press to the pack on the server.
    await clerk.page.evaluate(() => {
      window.publishTasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.publishTasks.push(e.duration); }).observe({ type: 'longtask' });
    });
    const importMs = await timed(clerk.page, () => {
      [...document.querySelectorAll('button')].find((b) => b.textContent === 'Publish this pack').click();
    });
    await clerk.page.locator('#import-result').waitFor({ timeout: 120_000 });
    emit(`pack_${PAGES}p`, 'import_ms', Math.round(importMs), 'ms');
    await waitForHeader(clerk.page, 'Synced', 0, 120_000);
    const tasks = await clerk.page.evaluate(() => window.publishTasks);
    emit(`pack_${PAGES}p`, 'publish_longest_task_ms', Math.round(Math.max(0, ...tasks)), 'ms');
    emit(`pack_${PAGES}p`, 'publish_long_tasks_ms', Math.round(tasks.reduce((a, b) => a + b, 0)), 'ms');
    const { meeting, result } = await clerk.page.evaluate(() => ({
      meeting: document.querySelector('.import-status a[href^="#/read/"]')?.getAttribute('href')?.split('/')[2],
      result: document.querySelector('#import-result')?.textContent ?? '',
    }));
    const m = /(\d+) items, (\d+) passages/.exec(result);
    emit(`pack_${PAGES}p`, 'items', Number(m?.[1] ?? 0), 'items');
    emit(`pack_${PAGES}p`, 'blocks', Number(m?.[2] ?? 0), 'blocks');
    await clerk.context.close();

    // A member's tablet (on-disk profile): first visit online, then the reader.
    let t = await openProfileTablet(profile, server.url, { name: 'member', viewport: TABLET_LANDSCAPE });
    await signIn(t.page, 'Cllr Jo Bennett', { meeting: false });
    await waitForHeader(t.page, 'Synced', 0, 120_000);
    const firstOpen = await timed(t.page, (h) => { location.hash = h; return new Promise((r) => setTimeout(r, 0)); }, `#/read/${meeting}`);
    await t.page.locator('.pack-text [data-block]').first().waitFor({ timeout: 60_000 });
    emit(`pack_${PAGES}p`, 'open_reader_first_item_ms', Math.round(firstOpen * 10) / 10, 'ms');
    // The largest item of the pack, by its page range.
    const links = await t.page.locator('.reader-items a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const opens = [];
    let biggest = { href: links[0], blocks: 0 };
    for (let i = 0; i < RUNS; i++) {
      for (const href of links) {
        const ms = await timed(t.page, (h) => { location.hash = h; return new Promise((r) => setTimeout(r, 0)); }, href);
        const n = await t.page.locator('.pack-text [data-block]').count();
        if (n > biggest.blocks) biggest = { href, blocks: n };
        if (href === biggest.href && i > 0) opens.push(ms);
      }
    }
    emit(`pack_${PAGES}p`, 'largest_item_blocks', biggest.blocks, 'blocks');
    emit(`pack_${PAGES}p`, 'open_largest_item_ms', Math.round(median(opens) * 10) / 10, 'ms');
    const searches = [];
    for (let i = 0; i < RUNS; i++) {
      const word = ['Commissioner', 'precept', 'victims', 'officers', 'budget'][i % 5];
      searches.push(await timed(t.page, (w) => {
        const input = document.querySelector('#pack-search');
        input.value = w;
        input.form.requestSubmit();
      }, word));
    }
    const found = await t.page.locator('#search-count').textContent();
    emit(`pack_${PAGES}p`, 'search_whole_pack_ms', Math.round(median(searches) * 10) / 10, 'ms');
    emit(`pack_${PAGES}p`, 'search_hits_last', Number(/^(\d+)/.exec(found)?.[1] ?? 0), 'passages');

    // Cached cold start: browser closed, no network, server down; navigation
    // to the reader until its text is on screen.
    await t.page.goto(`${server.url}#/read/${meeting}`);
    await t.page.locator('.pack-text [data-block]').first().waitFor();
    await waitForStored(t.page);
    await t.context.close();
    await server.kill();
    const colds = [];
    for (let i = 0; i < RUNS; i++) {
      t = await openProfileTablet(profile, null, { name: 'cold', viewport: TABLET_LANDSCAPE, offline: true });
      await t.page.goto(`${server.url}#/read/${meeting}`);
      const ms = await t.page.waitForFunction(
        () => (document.querySelector('.pack-text [data-block]') ? performance.now() : false),
        undefined, { polling: 'raf', timeout: 60_000 });
      colds.push(await ms.jsonValue());
      await t.context.close();
    }
    emit('cold_start_offline', 'navigation_to_reader_ms', Math.round(median(colds)), 'ms');
    emit('cold_start_offline', 'navigation_to_reader_max_ms', Math.round(Math.max(...colds)), 'ms');
  } finally {
    await closeProfileTablets();
    await browser.close();
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench webapp: ${e.stack ?? e}`);
  process.exit(1);
});
