// The offline lease in real Chromium through the real server. The clerk
// (CLI) sets a short lease; a tablet joins and shows the panel. Offline past
// the lease it shows nothing of the panel and says in plain words that it
// must reach the server; once the connection is back the server, having
// checked the tablet's signature, hands back its key and the panel returns.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLET_PORTRAIT, launchBrowser, openTablet, shot, waitForPage, joinPanel } from './browser.mjs';
import { havePacks, packsDir } from './packs.mjs';
import { PacklineServer, repoRoot } from './server.mjs';

const PASSPHRASE = 'granite willow harbour seven';
let server;
let browser;
const clerkDir = mkdtempSync(join(tmpdir(), 'packline-lease-clerk-'));

function cli(...args) {
  return execFileSync(join(repoRoot, 'build/cli/packline'), ['--data', clerkDir, ...args], {
    encoding: 'utf8', env: { ...process.env, PACKLINE_PASSPHRASE: 'clerk passphrase words' },
  });
}

before(async () => {
  server = await PacklineServer.start('lease');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const mainText = (page) => page.evaluate(() => document.querySelector('#main').textContent + document.querySelector('#who').textContent);

test('lease: past the offline lease the tablet shows nothing of the panel until it reaches the server again', async () => {
  cli('found', '--server', `ws://127.0.0.1:${server.port}`, '--name', 'Dana Whitfield');
  if (havePacks) cli('import', join(packsDir, 'pcp-2020-12-10-agenda-pack.txt'));  // a meeting to show
  const code = cli('invite', 'Cllr Ruth Amari', 'member').trim();
  cli('lease', '0.1');  // six seconds
  cli('sync');

  const { context, page } = await openTablet(browser, server.url + '#/join', { name: 'tablet', viewport: TABLET_PORTRAIT });
  await joinPanel(page, code, PASSPHRASE, 'Ruth Amari');
  if (havePacks) await waitForPage(page, 'the meeting', () => document.querySelector('#main').textContent.includes('Police and Crime'), null, 30_000);
  const open = await mainText(page);
  await shot(page, 'lease-1-open');

  // Offline past the lease: nothing of the panel, and why.
  await context.setOffline(true);
  await waitForPage(page, 'the locked screen', () => document.querySelector('#lease-locked') !== null, null, 30_000);
  assert.equal(await page.getByRole('heading', { name: 'This tablet must reach the server' }).isVisible(), true);
  assert.match(await page.locator('#lease-locked').textContent(), /Connect to the network/);
  const locked = await mainText(page);
  assert.equal(await page.locator('#main > *').count(), 1, 'the locked notice only');
  assert.equal(locked.includes('Ruth Amari'), false, 'no panel content past the lease');
  if (havePacks) assert.equal(locked.includes('Police and Crime'), false);
  assert.equal(await page.locator('#nav').isHidden(), true);
  await waitForPage(page, 'saved locked', () => document.documentElement.dataset.stored === 'true', null, 10_000);
  await shot(page, 'lease-2-locked');

  // Back online: the server checks the tablet and hands back its key.
  await context.setOffline(false);
  await waitForPage(page, 'the panel again', () => document.querySelector('#lease-locked') === null &&
    document.querySelector('#who').textContent.includes('Ruth Amari'), null, 30_000);
  await waitForPage(page, 'synced again', () => document.querySelector('#conn')?.textContent === 'Synced', null, 30_000);
  assert.equal(await mainText(page), open);
  await shot(page, 'lease-3-back');
});
