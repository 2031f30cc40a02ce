// The installable app: Chromium's own installability check (DevTools protocol)
// finds no error, the manifest's icons are real PNGs of the stated sizes, and
// the header always says where sync stands — including "Syncing…" while a
// tablet that was offline catches up — with the pending count beside it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  closeProfileTablets, draft, draftingMembers, launchBrowser, openFirstItem, openMeeting, openProfileTablet, openTablet, signIn, uniqueText,
  waitForHeader, waitForPage, waitForQuestions, waitForStored,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('pwa');
  browser = await launchBrowser();
});
after(async () => {
  await closeProfileTablets();
  await browser?.close();
  await server?.stop();
});

// Width and height from a PNG's IHDR chunk.
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  return `${buf.readUInt32BE(16)}x${buf.readUInt32BE(20)}`;
}

test('installable: Chromium reports no installability error, icons are real, a browser restart offline starts the app', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'packline-e2e-profile-'));
  const { context, page } = await openProfileTablet(profile, server.url, { name: 'install' });
  await waitForPage(page, 'the service worker to control the page',
    () => navigator.serviceWorker?.controller != null
      && document.querySelector('#footer')?.dataset.offlineReady === 'true');
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium would offer to install the app');

  const { url, errors, data } = await cdp.send('Page.getAppManifest');
  assert.deepEqual(errors, [], 'the manifest parses without error');
  const manifest = JSON.parse(data);
  assert.equal(manifest.display, 'standalone');
  assert.ok(manifest.name && manifest.short_name && manifest.start_url);
  const sizes = {};
  for (const icon of manifest.icons.filter((i) => i.type === 'image/png')) {
    const r = await fetch(new URL(icon.src, url));
    assert.equal(r.status, 200, `${icon.src} is served`);
    const actual = pngSize(Buffer.from(await r.arrayBuffer()));
    assert.equal(actual, icon.sizes.replace(' ', ''), `${icon.src} is ${icon.sizes}`);
    sizes[`${icon.purpose ?? 'any'} ${actual}`] = true;
  }
  assert.ok(sizes['any 192x192'] && sizes['any 512x512'] && sizes['maskable 512x512'],
    `icons of 192 and 512 px and a maskable one: ${Object.keys(sizes)}`);
  await context.close();

  // The same tablet, browser restarted with no network and the server down:
  // a real cold start from the service worker's cache and the stored replica.
  const again = await openProfileTablet(profile, server.url, { name: 'install-online' });
  const [member] = await draftingMembers(again.page);
  await signIn(again.page, member.name);
  await openFirstItem(again.page);
  const body = uniqueText('Before the cold start: what is the 999 answer time?');
  await draft(again.page, body);
  await waitForHeader(again.page, 'Synced', 0);
  await waitForStored(again.page);
  await again.context.close();
  await server.kill();
  let cold;
  try {
    cold = await openProfileTablet(profile, null, { name: 'install-cold', offline: true });
    await cold.page.goto(server.url);
    // The meetings list, from the stored replica; then the meeting and its draft.
    await cold.page.locator('.meeting-card').first().waitFor();
    await openMeeting(cold.page);
    await waitForQuestions(cold.page, [body]);
    await waitForHeader(cold.page, 'Offline', 0);
  } finally {
    await cold?.context.close();
    await server.launch();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('the header shows Syncing… while a tablet catches up, then Synced, with the pending count', async () => {
  const { context, page } = await openTablet(browser, server.url, { name: 'status' });
  const [member] = await draftingMembers(page);
  await signIn(page, member.name);
  await openFirstItem(page);
  await waitForHeader(page, 'Synced', 0);
  await context.setOffline(true);
  await waitForHeader(page, 'Offline', 0);
  await draft(page, uniqueText('Offline one: how many PCSOs are in post?'));
  await draft(page, uniqueText('Offline two: what did the estates review find?'));
  await waitForHeader(page, 'Offline', 2);

  // Every state the header passes through from here, as the member would read it.
  await page.evaluate(() => {
    const seen = [];
    window.statusSeen = seen;
    const record = () => seen.push(document.querySelector('#status').textContent.replace(/\s+/g, ' ').trim());
    new MutationObserver(record).observe(document.querySelector('#status'),
      { subtree: true, childList: true, characterData: true });
  });
  await context.setOffline(false);
  await waitForHeader(page, 'Synced', 0);
  const seen = await page.evaluate(() => window.statusSeen);
  const syncing = seen.findIndex((s) => s.startsWith('Syncing…'));
  assert.ok(syncing >= 0, `"Syncing…" was shown on the way back: ${JSON.stringify(seen)}`);
  assert.ok(seen.slice(syncing).some((s) => s === 'Synced · 0 pending'));
  assert.ok(seen.every((s) => /· (\d+|…) pending$/.test(s)), `the pending count is always shown: ${JSON.stringify(seen)}`);
  await context.close();
});
