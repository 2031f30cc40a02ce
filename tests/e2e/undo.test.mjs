// Undo of what a person regrets at once, on two tablets against the real
// server: a deleted note comes back with "Undo" and the other tablet still
// shows it after sync, online and with the author's tablet offline; a
// withdrawn question is a draft again; drafts the chair merged into the list
// are submitted drafts again. Each undo is a change synced like any other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TABLET_LANDSCAPE, demoMembers, draft, draftingMembers, launchBrowser, openFirstItem, openMeeting, openTablet, shot,
  signIn, submitDraft, uniqueText, waitForHeader, waitForPage,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
let members;
const open = [];
before(async () => {
  server = await PacklineServer.start('undo');
  browser = await launchBrowser();
});
after(async () => {
  for (const c of open) await c.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function tablet(name, pick) {
  const t = await openTablet(browser, server.url, { name, viewport: TABLET_LANDSCAPE });
  open.push(t.context);
  members ??= await demoMembers(t.page);
  const who = pick(members);
  await signIn(t.page, who.name, { meeting: false });
  return { ...t, who };
}

// The demo meeting's pack in the reader, its first paragraph of some length.
async function openReader(page) {
  await openMeeting(page);
  await page.getByRole('link', { name: 'Read the pack' }).click();
  await page.locator('.pack-text [data-block]').first().waitFor();
}

// A note on the first words of a paragraph, for the whole panel.
async function addNote(page, body) {
  await page.evaluate(() => {
    const p = [...document.querySelectorAll('.pack-text [data-block]')].find((e) => e.textContent.length > 60);
    const text = [...p.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.length > 20) ?? p.firstChild;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, 20);
    const sel = document.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  });
  await page.getByRole('region', { name: 'Selected text' }).waitFor();
  await page.locator('#annotation-visibility').selectOption('panel');
  await page.locator('#annotation-note').fill(body);
  await page.getByRole('button', { name: 'Save highlight or note' }).click();
  await page.locator('.annotations .annotation', { hasText: body }).waitFor();
}

const shows = (page, body) => waitForPage(page, `the note "${body}" shown`,
  (b) => [...document.querySelectorAll('.annotations .annotation')].some((e) => e.textContent.includes(b)), body);
const gone = (page, body) => waitForPage(page, `the note "${body}" gone`,
  (b) => ![...document.querySelectorAll('.annotations .annotation')].some((e) => e.textContent.includes(b)), body);

test('undo: a deleted note comes back, and the other tablet still shows it after sync; with the author offline too', async () => {
  const a = await tablet('undo-author', (ms) => ms.find((m) => !/clerk|officer/i.test(m.role)));
  const b = await tablet('undo-reader', (ms) => ms.filter((m) => !/clerk|officer/i.test(m.role))[1]);
  await openReader(a.page);
  await openReader(b.page);
  const body = uniqueText('Ask for the trend behind this');
  await addNote(a.page, body);
  await waitForHeader(a.page, 'Synced', 0);
  await shows(b.page, body);

  // Deleted (no "are you sure?"), then undone from the bar.
  const note = a.page.locator('.annotations .annotation', { hasText: body });
  await note.getByRole('button', { name: /^Delete your note/ }).click();
  await gone(a.page, body);
  const bar = a.page.locator('#undo-bar');
  await bar.getByText('Note deleted.').waitFor();
  await shot(a.page, 'undo-1-note-deleted');
  await bar.getByRole('button', { name: 'Undo' }).click();
  await shows(a.page, body);
  await bar.getByText('Undone.').waitFor();
  await waitForHeader(a.page, 'Synced', 0);
  await shows(b.page, body);
  // The bar goes by itself.
  await waitForPage(a.page, 'the undo bar to go', () => document.querySelector('#undo-bar').hidden, undefined, 12_000);

  // Offline: deleted and undone on the tablet; both changes go up once online.
  await a.context.setOffline(true);
  await waitForHeader(a.page, 'Offline', 0);
  await note.getByRole('button', { name: /^Delete your note/ }).click();
  await gone(a.page, body);
  await bar.getByRole('button', { name: 'Undo' }).click();
  await shows(a.page, body);
  await waitForHeader(a.page, 'Offline', 2);
  await a.context.setOffline(false);
  await waitForHeader(a.page, 'Synced', 0);
  await shows(b.page, body);
  // A tablet that opens the pack now sees it too.
  await b.page.reload();
  await b.page.locator('.pack-text [data-block]').first().waitFor();
  await shows(b.page, body);
  await shot(b.page, 'undo-2-other-tablet-still-shows-note');
});

test('undo: a withdrawn question is a draft again; drafts merged into the list are submitted again', async () => {
  const a = await tablet('undo-member', (ms) => ms.find((m) => !/clerk|officer|chair/i.test(m.role)));
  await openMeeting(a.page);
  await openFirstItem(a.page);
  const mine = uniqueText('What is the response time in rural areas?');
  await draft(a.page, mine);
  const item = a.page.locator('.my-questions li.question', { hasText: mine });
  await item.getByRole('button', { name: /^Withdraw: / }).click();
  await item.locator('.q-status-withdrawn').waitFor();
  const bar = a.page.locator('#undo-bar');
  await bar.getByText('Question withdrawn.').waitFor();
  await bar.getByRole('button', { name: 'Undo' }).click();
  await item.locator('.q-status-draft').waitFor();
  assert.equal(await item.getByRole('button', { name: /^Submit to the chair: / }).count(), 1, 'a draft again, with its buttons');

  // Two submitted drafts; the chair merges them into the list, then undoes it.
  await submitDraft(a.page, mine);
  const other = uniqueText('How many rural calls missed the target?');
  await draft(a.page, other);
  await submitDraft(a.page, other);
  await waitForHeader(a.page, 'Synced', 0);
  const chair = await tablet('undo-chair', (ms) => ms.find((m) => /^chair$/i.test(m.role)) ?? ms.find((m) => /chair/i.test(m.role)));
  await chair.page.getByRole('link', { name: 'Question board' }).click();
  for (const body of [mine, other]) await chair.page.getByRole('checkbox', { name: body }).check();
  await chair.page.getByLabel('Wording put to the Commissioner').fill('How are rural response times being improved?');
  await chair.page.getByRole('button', { name: 'Add to the final list' }).click();
  const cbar = chair.page.locator('#undo-bar');
  await cbar.getByText('2 drafts merged into the list.').waitFor();
  await shot(chair.page, 'undo-3-drafts-merged');
  await cbar.getByRole('button', { name: 'Undo' }).click();
  await waitForPage(chair.page, 'the list empty again', () => !document.querySelector('[data-consolidated]'));
  await waitForHeader(chair.page, 'Synced', 0);
  // The member's tablet: both drafts submitted, not merged.
  for (const body of [mine, other]) {
    await a.page.locator('.my-questions li.question', { hasText: body }).locator('.q-status-submitted').waitFor();
  }
});
