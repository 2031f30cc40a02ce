// The clerk builds an agenda in the app, in the real webapp against the real
// server: a file with no recognisable agenda is published as one document;
// in the reader the clerk renames it, adds items, marks where one starts and
// ends at the page markers, sets another's pages, marks it exempt and
// reorders; a member's tablet shows that agenda (an offline rename arrives
// once the clerk is back online); a revised version of the file offers the
// corrections again, with the pages found where they moved.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TABLET_LANDSCAPE, TABLET_PORTRAIT, launchBrowser, openTablet, shot, signIn, waitForHeader, waitForPage } from './browser.mjs';
import { PacklineServer } from './server.mjs';

const CLERK = 'Dana Whitfield';
const MEMBER = 'Cllr Jo Bennett';

// Five pages (form feeds end pages), no agenda; `first` adds a page in front.
function briefing(first = '') {
  return (first ? `${first}\f` : '') +
    'Briefing for the Wrexby Panel\n\nA note on what follows, from the clerk\u2019s office, for the meeting in June.\n\f' +
    'The covering letter continues here with the background to the review.\n\f' +
    'Budget summary: spending stood at four point two million at the end of the quarter.\n\f' +
    'Budget detail: the overtime line rose by a tenth against the plan.\n\f' +
    'Confidential annex: the names of the staff affected by the restructure.\n';
}

let server;
let browser;
let clerk;
let member;
before(async () => {
  server = await PacklineServer.start('agenda');
  browser = await launchBrowser();
  clerk = await openTablet(browser, server.url, { name: 'agenda-clerk', viewport: TABLET_LANDSCAPE });
  await signIn(clerk.page, CLERK, { meeting: false });
  member = await openTablet(browser, server.url, { name: 'agenda-member', viewport: TABLET_PORTRAIT });
  await signIn(member.page, MEMBER, { meeting: false });
});
after(async () => {
  for (const t of [clerk, member]) await t?.context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function publish(page, name, text) {
  await page.goto(new URL('#/clerk', page.url()).href);
  await page.getByRole('heading', { name: 'Publish a pack' }).waitFor();
  await page.getByLabel('Pack file').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  await waitForPage(page, `${name} to be read`, () => document.querySelector('#preview-count') || document.querySelector('#import-error')?.textContent);
  assert.equal(await page.locator('#import-error').textContent(), '');
}

// The reader's agenda: "number title pages" per item, in order.
const agendaOf = (page) => page.locator('.reader-items li').evaluateAll((lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
// The page numbers shown in the item being read.
const pagesShown = (page) => page.locator('.pack-text .page-marker > span').evaluateAll((s) => s.map((x) => x.textContent));

function waitForAgenda(page, want) {
  return waitForPage(page, `agenda ${JSON.stringify(want)}`, (w) => {
    const got = [...document.querySelectorAll('.reader-items li')].map((li) => li.textContent.replace(/\s+/g, ' ').trim());
    return JSON.stringify(got) === JSON.stringify(w);
  }, want);
}

let meetingId = '';

test('agenda: the clerk builds the agenda of a file with none in the reader; a member’s tablet shows it', async () => {
  const page = clerk.page;
  await publish(page, 'briefing.txt', briefing());
  await page.locator('#preview-no-agenda').waitFor();
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  const open = page.getByRole('link', { name: 'Open the published pack' });
  await open.waitFor();
  meetingId = (await open.getAttribute('href')).split('/')[2];
  await open.click();
  await page.locator('.pack-text .page-marker').first().waitFor();
  assert.deepEqual(await pagesShown(page), ['Page 1', 'Page 2', 'Page 3', 'Page 4', 'Page 5']);

  // Rename the whole document, add item 2 after it.
  await page.locator('#agenda-editor summary').click();
  await page.locator('#agenda-number').fill('1');
  await page.locator('#agenda-title').fill('Covering letter');
  await page.getByRole('button', { name: 'Save number and title' }).click();
  await page.locator('#agenda-new-number').fill('2');
  await page.locator('#agenda-new-title').fill('Budget monitoring');
  await page.getByRole('button', { name: 'Add after this item' }).click();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 5', '2 Budget monitoring']);
  assert.equal(await page.locator('#agenda-target option:checked').textContent(), '2. Budget monitoring');

  // Back in the letter, mark where item 2 starts and ends while reading.
  await page.locator('.reader-items a', { hasText: 'Covering letter' }).click();
  await page.getByRole('button', { name: 'item 2 starts on page 3' }).click();
  await page.getByRole('button', { name: 'item 2 ends on page 4' }).click();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 5', '2 Budget monitoring Pages 3 – 4']);
  await waitForPage(page, 'pages 3 and 4 to leave the letter', () =>
    [...document.querySelectorAll('.pack-text .page-marker > span')].map((s) => s.textContent).join() === 'Page 1,Page 2,Page 5');
  await shot(page, 'agenda-1-clerk-places-pages');

  // The letter is pages 1 and 2 (the form); item 3, the exempt annex, page 5.
  await page.locator('#agenda-target').selectOption({ label: '1. Covering letter' });
  await page.locator('#agenda-first').fill('1');
  await page.locator('#agenda-last').fill('2');
  await page.getByRole('button', { name: 'Set pages' }).click();
  await page.locator('.reader-items a', { hasText: 'Budget monitoring' }).click();
  await page.locator('#agenda-new-number').fill('3');
  await page.locator('#agenda-new-title').fill('Staffing');
  await page.getByRole('button', { name: 'Add after this item' }).click();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 2', '2 Budget monitoring Pages 3 – 4', '3 Staffing']);
  await page.locator('#agenda-first').fill('5');
  await page.locator('#agenda-last').fill('5');
  await page.getByRole('button', { name: 'Set pages' }).click();
  await page.getByLabel('Exempt (confidential papers)').check();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 2', '2 Budget monitoring Pages 3 – 4', '3 Staffing Page 5 Exempt']);
  // Reorder: up, then back down.
  await page.getByRole('button', { name: 'Move up' }).click();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 2', '3 Staffing Page 5 Exempt', '2 Budget monitoring Pages 3 – 4']);
  await page.getByRole('button', { name: 'Move down' }).click();
  await waitForAgenda(page, ['1 Covering letter Pages 1 – 2', '2 Budget monitoring Pages 3 – 4', '3 Staffing Page 5 Exempt']);
  assert.equal(await page.locator('#agenda-error').textContent(), '');
  await waitForHeader(page, 'Synced', 0);
  await shot(page, 'agenda-2-clerk-agenda-built');

  // The member's tablet: the same agenda, each item its own pages, no editor.
  const m = member.page;
  await m.goto(new URL(`#/read/${meetingId}`, m.url()).href);
  await waitForAgenda(m, ['1 Covering letter Pages 1 – 2', '2 Budget monitoring Pages 3 – 4', '3 Staffing Page 5 Exempt']);
  await m.locator('.reader-items a', { hasText: 'Budget monitoring' }).click();
  await waitForPage(m, 'item 2 pages', () =>
    [...document.querySelectorAll('.pack-text .page-marker > span')].map((s) => s.textContent).join() === 'Page 3,Page 4');
  assert.equal(await m.locator('#agenda-editor').count(), 0);
  assert.equal(await m.getByRole('button', { name: /starts on page/ }).count(), 0);
  await shot(m, 'agenda-3-member-sees-agenda');

  // Offline, the clerk renames item 2; the member sees it once the clerk is back.
  await clerk.context.setOffline(true);
  await waitForHeader(page, 'Offline', 0);
  await page.locator('.reader-items a', { hasText: 'Budget monitoring' }).click();
  await page.locator('#agenda-title').fill('Budget monitoring, quarter 1');
  await page.getByRole('button', { name: 'Save number and title' }).click();
  await waitForHeader(page, 'Offline', 1);
  await clerk.context.setOffline(false);
  await waitForHeader(page, 'Synced', 0);
  await waitForAgenda(m, ['1 Covering letter Pages 1 – 2', '2 Budget monitoring, quarter 1 Pages 3 – 4', '3 Staffing Page 5 Exempt']);
});

test('agenda: a revised version of the file offers the clerk’s corrections again, pages found where they moved', async () => {
  const page = clerk.page;
  await publish(page, 'briefing-v2.txt', briefing('Briefing for the Wrexby Panel\n\nRevised: a contents page was added.'));
  const offered = page.locator('#preview-corrections');
  await offered.waitFor();
  const list = await offered.locator('li').evaluateAll((lis) => lis.map((li) => li.textContent));
  assert.ok(list.includes('give item 2 pages 3 - 4 (its first page is now page 4)'), list.join(' | '));
  assert.ok(list.includes('rename item 2 to “Budget monitoring, quarter 1”'), list.join(' | '));
  assert.ok(list.includes('mark item 3 as exempt'), list.join(' | '));
  assert.ok(await page.locator('#import-reapply').isChecked());
  await shot(page, 'agenda-4-corrections-offered');
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor();
  assert.match(await page.locator('#import-result').textContent(), /^Published version 2: .* \d+ of your corrections to the agenda applied again\./);
  await waitForHeader(page, 'Synced', 0);

  const m = member.page;
  await waitForAgenda(m, ['1 Covering letter Pages 2 – 3 Changed', '2 Budget monitoring, quarter 1 Pages 4 – 5', '3 Staffing Page 6 Exempt']);
  await m.locator('.reader-items a', { hasText: 'Staffing' }).click();
  await waitForPage(m, 'item 3 on page 6', () =>
    [...document.querySelectorAll('.pack-text .page-marker > span')].map((s) => s.textContent).join() === 'Page 6');
  await shot(m, 'agenda-5-member-revised');
});
