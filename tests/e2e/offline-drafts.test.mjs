// Two tablets draft questions while offline; when both come back online both
// questions reach both tablets, nothing stays pending, and a reload keeps them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  draft, draftingMembers, launchBrowser, listedQuestions, openFirstItem, openTablet, shot,
  signIn, submitDraft, uniqueText, waitForHeader, waitForQuestions, waitForStored,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('offline-drafts');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two offline tablets draft questions, then converge when back online', async () => {
  const a = await openTablet(browser, server.url, { name: 'a' });
  const b = await openTablet(browser, server.url, { name: 'b', viewport: { width: 1180, height: 820 } });
  const [memberA, memberB] = await draftingMembers(a.page);
  assert.ok(memberA && memberB, 'the demo panel offers at least two members');
  assert.notEqual(memberA.name, memberB.name);
  await shot(a.page, 'offline-drafts-1-sign-in');

  await signIn(a.page, memberA.name);
  await signIn(b.page, memberB.name);
  await waitForHeader(a.page, 'Synced', 0);
  await waitForHeader(b.page, 'Synced', 0);
  const itemA = await openFirstItem(a.page);
  const itemB = await openFirstItem(b.page);
  assert.equal(itemA, itemB);

  // The core refuses an empty draft; the page says so in plain words.
  await a.page.getByRole('button', { name: 'Save draft' }).click();
  const refusal = a.page.locator('#question-error');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /^Your question was not saved: \S/);
  assert.equal(await refusal.getAttribute('role'), 'alert');
  await waitForHeader(a.page, 'Synced', 0);

  await a.context.setOffline(true);
  await b.context.setOffline(true);
  await waitForHeader(a.page, 'Offline', 0);
  await waitForHeader(b.page, 'Offline', 0);

  const qa = uniqueText(`How many officers were redeployed to neighbourhood teams? asks ${memberA.name}`);
  const qb = uniqueText(`What is the Commissioner doing about 101 call waiting times? asks ${memberB.name}`);
  await draft(a.page, qa);
  await draft(b.page, qb);
  await waitForHeader(a.page, 'Offline', 1);
  await waitForHeader(b.page, 'Offline', 1);
  // A draft is its author's own until submitted; both submit, still offline.
  await submitDraft(a.page, qa);
  await submitDraft(b.page, qb);
  await waitForHeader(a.page, 'Offline', 2);
  await waitForHeader(b.page, 'Offline', 2);
  // Offline, each tablet has only its own draft.
  assert.deepEqual((await listedQuestions(a.page)).map((q) => q.body), [qa]);
  assert.deepEqual((await listedQuestions(b.page)).map((q) => q.body), [qb]);
  await shot(a.page, 'offline-drafts-2-offline-portrait');
  await shot(b.page, 'offline-drafts-2-offline-landscape');

  await a.context.setOffline(false);
  await b.context.setOffline(false);
  for (const t of [a, b]) {
    await waitForQuestions(t.page, [qa, qb]);
    await waitForHeader(t.page, 'Synced', 0);
    const listed = await listedQuestions(t.page);
    assert.equal(listed.length, 2, `${t.page.tabletName} lists exactly the two drafts`);
    assert.match(listed.find((q) => q.body === qa).author, new RegExp(`^${escape(memberA.name)}`));
    assert.match(listed.find((q) => q.body === qb).author, new RegExp(`^${escape(memberB.name)}`));
  }
  await shot(a.page, 'offline-drafts-3-synced-portrait');
  await shot(b.page, 'offline-drafts-3-synced-landscape');

  for (const t of [a, b]) {
    await waitForStored(t.page);
    await t.page.reload();
    await waitForQuestions(t.page, [qa, qb]);
    await waitForHeader(t.page, 'Synced', 0);
    assert.equal((await listedQuestions(t.page)).length, 2);
  }
  await a.context.close();
  await b.context.close();
});

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
