// The server is SIGKILLed between pushes and restarted on the same data
// directory: every acknowledged question survives, drafts made meanwhile stay
// pending, and both tablets (and a fresh one) converge with nothing pending.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  draft, draftingMembers, header, launchBrowser, listedQuestions, openFirstItem, openTablet, shot,
  signIn, submitDraft, uniqueText, waitForHeader, waitForPage, waitForQuestions,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('server-restart');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('drafts survive a server crash and restart; both tablets converge', async () => {
  const a = await openTablet(browser, server.url, { name: 'a' });
  const b = await openTablet(browser, server.url, { name: 'b' });
  const [memberA, memberB] = await draftingMembers(a.page);
  await signIn(a.page, memberA.name);
  await signIn(b.page, memberB.name);
  await openFirstItem(a.page);
  await openFirstItem(b.page);
  await waitForHeader(a.page, 'Synced', 0);
  await waitForHeader(b.page, 'Synced', 0);

  const q1 = uniqueText('Acknowledged before the crash: what is the force doing on rural crime?');
  await draft(a.page, q1);
  await submitDraft(a.page, q1);  // (a draft is its author's own until submitted)
  await waitForHeader(a.page, 'Synced', 0); // acknowledged by the server
  await waitForQuestions(b.page, [q1]);

  await server.kill();
  for (const t of [a, b]) {
    await waitForPage(t.page, 'the header to leave "Synced"',
      () => document.querySelector('#conn')?.textContent !== 'Synced');
  }
  const q2 = uniqueText('Drafted while the server was down, by A');
  const q3 = uniqueText('Drafted while the server was down, by B');
  await draft(a.page, q2);
  await draft(b.page, q3);
  await submitDraft(a.page, q2);
  await submitDraft(b.page, q3);
  for (const t of [a, b]) {
    const h = await header(t.page);
    assert.equal(h.pending, '2 pending', `${t.page.tabletName}: the new draft and its submission are pending while the server is down`);
    assert.notEqual(h.conn, 'Synced');
  }
  await shot(a.page, 'server-restart-1-server-down');

  await server.restart();
  for (const t of [a, b]) {
    await waitForQuestions(t.page, [q1, q2, q3]);
    await waitForHeader(t.page, 'Synced', 0);
    const bodies = (await listedQuestions(t.page)).map((q) => q.body).sort();
    assert.deepEqual(bodies, [q1, q2, q3].sort(), `${t.page.tabletName} has every question exactly once`);
  }
  await shot(b.page, 'server-restart-2-converged');

  // A tablet that never saw the others gets everything from the server's store.
  const c = await openTablet(browser, server.url, { name: 'c' });
  const [, , memberC = memberA] = await draftingMembers(c.page);
  await signIn(c.page, memberC.name);
  await waitForQuestions(c.page, [q1, q2, q3]);
  await waitForHeader(c.page, 'Synced', 0);

  for (const t of [a, b, c]) await t.context.close();
});
