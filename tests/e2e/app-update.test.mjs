// App updates through the service worker, against the real server binary
// serving a copy of the built webapp. A deploy that changes the shell alone
// (index.html, so sw.js is written again) makes the tablet fetch the shell
// and the worker, never the WASM core or the bundles again: every request
// reaching the server goes through a small recording proxy in front of it.
// The waiting version says "A new version is ready", is applied on a tap (not
// while text is being typed, unless the member insists), and a version that
// waited while the app was closed is the one it starts on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { demoMembers, launchBrowser, openTablet, shot, waitForPage } from './browser.mjs';
import { PacklineServer, repoRoot } from './server.mjs';

const webappScripts = join(repoRoot, 'webapp', 'scripts');
let dist;
let server;
let proxy;
let proxyUrl;
let browser;
const requested = [];

// A proxy on its own port: records each HTTP path, passes the sync socket through.
function startProxy(port) {
  const p = createServer((req, res) => {
    requested.push(req.url);
    const up = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  p.on('upgrade', (req, socket, head) => {
    const up = connect(port, '127.0.0.1', () => {
      let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${lines}\r\n`);
      up.write(head);
      socket.pipe(up).pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return new Promise((res) => p.listen(0, '127.0.0.1', () => res(p)));
}

// A deploy that changes the shell alone: a marker in index.html, then the
// build's own service-worker and compression steps on the copy.
function deployShell(marker) {
  const index = join(dist, 'index.html');
  const html = readFileSync(index, 'utf8').replace(/<meta name="deploy"[^>]*>\n?/, '');
  writeFileSync(index, html.replace('<head>', `<head>\n    <meta name="deploy" content="${marker}">`));
  execFileSync(process.execPath, [join(webappScripts, 'gen-sw.mjs'), dist]);
  execFileSync(process.execPath, [join(webappScripts, 'compress.mjs'), dist]);
}

before(async () => {
  dist = mkdtempSync(join(tmpdir(), 'packline-e2e-webapp-'));
  cpSync(join(repoRoot, 'webapp', 'dist'), dist, { recursive: true });
  const was = process.env.PACKLINE_WEBAPP;
  process.env.PACKLINE_WEBAPP = dist;
  try {
    server = await PacklineServer.start('app-update');
  } finally {
    if (was === undefined) delete process.env.PACKLINE_WEBAPP;
    else process.env.PACKLINE_WEBAPP = was;
  }
  proxy = await startProxy(server.port);
  proxyUrl = `http://127.0.0.1:${proxy.address().port}/`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  proxy?.close();
  await server?.stop();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

const marker = (page) => page.evaluate(() => document.querySelector('meta[name="deploy"]')?.content ?? '');
const fetchedSince = (from) => requested.slice(from).map((u) => u.replace(/\?.*$/, ''));

test('a deploy of the shell alone: only the shell and the worker are fetched; "A new version is ready" applies on a tap and at the next start', async () => {
  const { context, page } = await openTablet(browser, proxyUrl, { name: 'update' });
  await waitForPage(page, 'the service worker to keep the app',
    () => navigator.serviceWorker?.controller != null && document.querySelector('#footer')?.dataset.offlineReady === 'true');
  await demoMembers(page);
  assert.ok(fetchedSince(0).some((u) => u.endsWith('/core/packline_core.wasm')), 'the first visit fetched the WASM core (the proxy sees it)');

  // Deploy 1: the worker is checked for, installs, and waits.
  const mark = requested.length;
  deployShell('two');
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  const bar = page.locator('#update-banner');
  await bar.getByText('A new version is ready').waitFor();
  const fetched = fetchedSince(mark);
  assert.ok(fetched.includes('/sw.js'), `the new worker was fetched: ${fetched}`);
  assert.ok(fetched.some((u) => u === '/' || u === '/index.html'), `the changed shell was fetched: ${fetched}`);
  const again = fetched.filter((u) => !['/', '/index.html', '/sw.js'].includes(u));
  assert.deepEqual(again, [], 'nothing else was fetched again: not the WASM core, the bundles or the icons');
  console.log(`# after a shell-only deploy the tablet fetched: ${fetched.join(', ')}`);
  await shot(page, 'update-1-new-version-ready');

  // While text is being typed the tap asks first; the page is still the old one.
  const name = page.getByRole('button', { name: /^Sign in as / }).first();
  await name.waitFor();
  await page.evaluate(() => {
    const input = document.createElement('textarea');
    input.id = 'typing';
    document.querySelector('#main').append(input);
  });
  await page.locator('#typing').fill('Half a question');
  await page.locator('#update-now').click();
  await bar.getByText(/finish what you are typing first/).waitFor();
  assert.equal(await marker(page), '', 'not reloaded while typing');
  await shot(page, 'update-2-typing-asks-first');
  // The member insists: the new version takes over and the page reloads on it.
  await page.getByRole('button', { name: 'Update anyway' }).click();
  await waitForPage(page, 'the new shell', () => document.querySelector('meta[name="deploy"]')?.content === 'two');
  await demoMembers(page);
  assert.equal(await bar.isHidden(), true, 'no banner once updated');

  // Deploy 2, waiting when the app is closed: the next start is on it, with no tap.
  deployShell('three');
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await bar.getByText('A new version is ready').waitFor();
  await page.close();
  const next = await context.newPage();
  next.log = [];
  next.tabletName = 'update-next-start';
  await next.goto(proxyUrl);
  await waitForPage(next, 'the next start on the new version', () => document.querySelector('meta[name="deploy"]')?.content === 'three');
  await demoMembers(next);
  assert.equal(await next.locator('#update-banner').isHidden(), true, 'nothing waits any more');
  await shot(next, 'update-3-applied-at-start');
  await context.close();
});
