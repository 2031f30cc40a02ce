// A tablet that joined while the clerk changed the panel's key offline, in
// real Chromium through the real server: the clerk works from the CLI (it
// removes a member offline, then syncs). The tablet's connection is cut just
// after the new key's record reaches it and before the clerk's grant does
// (its pulls are made one change at a time here, so the two arrive apart).
// The tablet says "Waiting for the panel's new key", and recovers by itself
// when its connection comes back and the grant arrives.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TABLET_PORTRAIT, closeProfileTablets, launchBrowser, openProfileTablet, shot, waitForPage, joinPanel } from './browser.mjs';
import { PacklineServer, repoRoot } from './server.mjs';

const PASSPHRASE = 'granite willow harbour seven';
let server;
let browser;
const clerkDir = mkdtempSync(join(tmpdir(), 'packline-keywait-clerk-'));
const profile = mkdtempSync(join(tmpdir(), 'packline-keywait-tablet-'));

function cli(...args) {
  return execFileSync(join(repoRoot, 'build/cli/packline'), ['--data', clerkDir, ...args], {
    encoding: 'utf8', env: { ...process.env, PACKLINE_PASSPHRASE: 'clerk passphrase words' },
  });
}

// pull{since, max} (msgpack [7, since, max]) rewritten to max = 1.
function pullOne(b) {
  if (b[0] !== 0x93 || b[1] !== 0x07) return b;
  const sizes = { 0xcc: 2, 0xcd: 3, 0xce: 5, 0xcf: 9 };
  const since = b[2] < 0x80 ? 1 : sizes[b[2]];
  return Buffer.concat([b.subarray(0, 2 + since), Buffer.from([0x01])]);
}

before(async () => {
  server = await PacklineServer.start('key-wait');
  browser = await launchBrowser();
});
after(async () => {
  await closeProfileTablets();
  await browser?.close();
  await server?.stop();
});

test('key wait: a tablet that missed the new key says so and recovers by itself', async () => {
  cli('found', '--server', `ws://127.0.0.1:${server.port}`, '--name', 'Dana Whitfield');
  cli('invite', 'Cllr Leaving', 'member');
  const code = cli('invite', 'Cllr Ruth Amari', 'member').trim();
  cli('sync');
  const leaving = cli('members').split('\n').find((l) => l.includes('Cllr Leaving')).split(' ')[0];
  cli('remove', leaving);  // offline: the new key goes to the devices the clerk knows now

  const t = await openProfileTablet(profile, null, { name: 'tablet', viewport: TABLET_PORTRAIT });
  const { page } = t;
  let device = null;  // the tablet's device id: a record sealing a key to it is the clerk's grant
  let cut = false;
  let done = false;  // cut once
  let socket = null;
  await page.routeWebSocket(/\/sync/, (route) => {
    const ws = route.connectToServer();
    socket = route;
    ws.onMessage((m) => {
      const b = Buffer.from(m);
      if (device && !done && b[1] === 0x08 && b.includes(device)) cut = done = true;
      if (!cut) route.send(m);
    });
    route.onMessage((m) => { if (!cut) ws.send(pullOne(Buffer.from(m))); });
  });
  await page.goto(server.url + '#/join');
  await joinPanel(page, code, PASSPHRASE, 'Ruth Amari');
  assert.equal(await page.locator('#key-banner').isHidden(), true);
  device = Buffer.from(await page.evaluate(() => document.querySelector('#footer').dataset.device), 'hex');

  cli('sync');  // the removal and the new key reach the server after the join, then the grant
  await waitForPage(page, 'the waiting banner', () => !document.querySelector('#key-banner').hidden, null, 30_000);
  assert.match(await page.locator('#key-banner').textContent(), /^Waiting for the panel’s new key\./);
  await shot(page, 'key-wait-1-waiting');

  // The connection comes back: the grant arrives and the tablet recovers by itself.
  cut = false;
  socket.close();
  await waitForPage(page, 'the banner to go', () => document.querySelector('#key-banner').hidden, null, 30_000);
  await waitForPage(page, 'synced again', () => document.querySelector('#conn')?.textContent === 'Synced', null, 30_000);
  await shot(page, 'key-wait-2-recovered');
});
