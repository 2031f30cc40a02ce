// After one online visit the service worker serves the app shell: with the
// network off and the server down, a reload starts the app and shows the stored
// drafts. Also: a stored replica the core cannot read is reported in plain
// words and kept, never overwritten.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  draft, draftingMembers, launchBrowser, listedQuestions, openFirstItem, openTablet, shot,
  signIn, submitDraft, uniqueText, waitForHeader, waitForPage, waitForQuestions, waitForStored,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('offline-start');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('offline cold start: the app loads from the service worker and shows stored drafts', async () => {
  const { context, page } = await openTablet(browser, server.url, { name: 'a' });
  const [member] = await draftingMembers(page);
  await signIn(page, member.name);
  await openFirstItem(page);
  const q1 = uniqueText('Synced before going offline: how is the victims code being met?');
  await draft(page, q1);
  await waitForHeader(page, 'Synced', 0);
  // The service worker has precached the shell and controls the page.
  await waitForPage(page, 'the service worker to control the page',
    () => navigator.serviceWorker?.controller !== null
      && document.querySelector('#footer')?.dataset.offlineReady === 'true');

  await waitForStored(page);
  // No network and no server: nothing can come from anywhere but the tablet.
  await context.setOffline(true);
  await server.kill();
  await page.reload();
  await waitForQuestions(page, [q1]);
  await waitForHeader(page, 'Offline', 0);
  assert.ok(await page.getByRole('heading', { level: 1 }).isVisible());

  // A draft made offline survives another offline reload, still pending.
  await openFirstItem(page);
  const q2 = uniqueText('Drafted offline after a cold start: when will the estates review report?');
  await draft(page, q2);
  await waitForHeader(page, 'Offline', 1);
  await waitForStored(page);
  await page.reload();
  await waitForQuestions(page, [q1, q2]);
  await waitForHeader(page, 'Offline', 1);
  await shot(page, 'offline-start-1-cold-start-offline');

  // Back online with the server up again: the offline draft is delivered.
  await server.launch();
  await context.setOffline(false);
  await waitForHeader(page, 'Synced', 0);
  // A draft is its author's own until submitted: both are submitted, so
  // another member's tablet lists them.
  await openFirstItem(page);
  await submitDraft(page, q1);
  await submitDraft(page, q2);
  await waitForHeader(page, 'Synced', 0);
  const fresh = await openTablet(browser, server.url, { name: 'fresh' });
  const [, other = member] = await draftingMembers(fresh.page);
  await signIn(fresh.page, other.name);
  await waitForQuestions(fresh.page, [q1, q2]);
  assert.equal((await listedQuestions(fresh.page)).length, 2);
  await fresh.context.close();
  await context.close();
});

test('an unreadable stored replica is reported and kept, not overwritten', async () => {
  if (!server.proc) await server.launch(); // the previous test may have failed with it down
  const { context, page } = await openTablet(browser, server.url, { name: 'corrupt' });
  const [member] = await draftingMembers(page);
  await signIn(page, member.name);
  await waitForHeader(page, 'Synced', 0);

  // Leave the app (so it cannot write), then damage the stored replica.
  await page.goto(`${server.url}healthz`);
  const garbage = Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
  await page.evaluate(async (bytes) => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open('packline');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    await new Promise((res, rej) => {
      const tx = db.transaction('replica', 'readwrite');
      tx.objectStore('replica').put(new Uint8Array(bytes), 'current');
      tx.oncomplete = res;
      tx.onerror = () => rej(tx.error);
    });
    db.close();
  }, garbage);

  const readStore = () => page.evaluate(async () => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open('packline');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out = await new Promise((res, rej) => {
      const tx = db.transaction('replica', 'readonly');
      const store = tx.objectStore('replica');
      const keys = store.getAllKeys();
      const values = store.getAll();
      tx.oncomplete = () => res(keys.result.map((k, i) => [k, Array.from(values.result[i])]));
      tx.onerror = () => rej(tx.error);
    });
    db.close();
    return Object.fromEntries(out);
  });
  // (The store also keeps the copy each write replaced, as 'previous'.)
  const damaged = await readStore();
  assert.deepEqual(damaged.current, garbage);

  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Your stored data could not be opened' }).waitFor();
  await shot(page, 'offline-start-2-unreadable-replica');
  // Showing the error wrote nothing.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await readStore(), damaged);

  // Starting afresh keeps the unreadable bytes aside and sets up a new device.
  await page.getByRole('button', { name: 'Set up this tablet afresh' }).click();
  await page.getByRole('button', { name: /^Sign in as / }).first().waitFor();
  const stored = await readStore();
  const aside = Object.keys(stored).filter((k) => k.startsWith('unreadable-'));
  assert.equal(aside.length, 1);
  assert.deepEqual(stored[aside[0]], garbage);
  assert.ok(stored.current && stored.current.length > 0);
  assert.notDeepEqual(stored.current, garbage);
  await context.close();
});
