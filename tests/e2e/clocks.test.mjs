// Three tablets, one with its clock a year ahead and one a year behind (the
// page's Date is shifted by an init script; the server's clock is right).
// Every question drafted reaches every tablet, the two wrong tablets say so
// in a banner and list the coming meeting under "Upcoming"; once their clocks
// are put right and the app reopened, the banner is gone and their new
// drafts still reach everyone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TABLET_LANDSCAPE, draft, submitDraft, draftingMembers, launchBrowser, listedQuestions, openFirstItem, openMeeting, shot,
  signIn, uniqueText, waitForHeader, waitForPage, waitForQuestions, waitForStored,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const SKEW_KEY = 'packline-test-clock-skew';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('clocks');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// Runs in the page before any of its scripts: Date reads the real time plus
// the tablet's skew (localStorage SKEW_KEY once set, so a reload can put the
// clock right). performance.now() is left alone, as a real device's is.
function wrongClock(defaultSkew) {
  let skew = defaultSkew;
  try {
    const v = localStorage.getItem('packline-test-clock-skew');
    if (v !== null) skew = Number(v);
  } catch {
    // no storage on this page (about:blank)
  }
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}

async function openSkewedTablet(name, skew, viewport) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 820, height: 1180 }, hasTouch: true, locale: 'en-GB' });
  await context.addInitScript(wrongClock, skew);
  const page = await context.newPage();
  page.log = [];
  page.on('console', (m) => page.log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.log.push(`[pageerror] ${e.message}`));
  page.tabletName = name;
  await page.goto(server.url);
  return { context, page };
}

function waitForClockBanner(page, text) {
  return waitForPage(page, text ? `clock banner "${text}"` : 'no clock banner', (t) => {
    const b = document.querySelector('#clock-banner');
    return t ? !b.hidden && b.textContent === t : b.hidden;
  }, text);
}

// The meetings list: the titles of the cards under "Upcoming" and under "Past".
async function meetingsLists(page) {
  await page.goto(new URL('#/', page.url()).href);
  await page.locator('.meeting-card').first().waitFor();
  return page.evaluate(() => {
    const cards = (id) => [...document.getElementById(id).closest('section').querySelectorAll('.meeting-card h3')]
      .map((e) => e.textContent);
    return { upcoming: cards('upcoming-title'), past: cards('past-title') };
  });
}

test('tablets a year ahead and a year behind lose nothing, are told, and show the right dates', async () => {
  const right = await openSkewedTablet('right', 0);
  const ahead = await openSkewedTablet('ahead', YEAR_MS);
  const behind = await openSkewedTablet('behind', -YEAR_MS, TABLET_LANDSCAPE);
  const tablets = [right, ahead, behind];
  const members = await draftingMembers(right.page);
  assert.ok(members.length >= 3, 'the demo panel offers three drafting members');
  assert.ok(await ahead.page.evaluate(() => new Date().getFullYear()) > await right.page.evaluate(() => new Date().getFullYear()),
    'the injected clock is a year ahead');

  // A new tablet with a slow clock still gets the panel (it used to refuse
  // every change and wait for the member list for ever).
  for (const [i, t] of tablets.entries()) await signIn(t.page, members[i].name, { meeting: false });
  await waitForClockBanner(ahead.page, 'This tablet’s clock is 1 year ahead. Set the date and time, then reopen Packline.');
  await waitForClockBanner(behind.page, 'This tablet’s clock is 1 year behind. Set the date and time, then reopen Packline.');
  await waitForClockBanner(right.page, '');

  // Dates follow the server's time: the coming meeting is upcoming everywhere.
  for (const t of tablets) {
    const lists = await meetingsLists(t.page);
    assert.equal(lists.upcoming.length, 1, `${t.page.tabletName}: one upcoming meeting (${JSON.stringify(lists)})`);
    assert.equal(lists.past.length, 0, `${t.page.tabletName}: no past meeting`);
  }
  await shot(ahead.page, 'clocks-1-ahead-meetings');
  await shot(behind.page, 'clocks-1-behind-meetings');

  const bodies = [];
  for (const t of tablets) {
    await openMeeting(t.page);
    await openFirstItem(t.page);
    const body = uniqueText(`Question from the tablet whose clock is ${t.page.tabletName}`);
    await draft(t.page, body);
    // A draft is its author's own until submitted.
    await submitDraft(t.page, body);
    bodies.push(body);
  }
  for (const t of tablets) {
    await waitForQuestions(t.page, bodies);
    await waitForHeader(t.page, 'Synced', 0);
    const listed = await listedQuestions(t.page);
    assert.equal(listed.length, 3, `${t.page.tabletName} lists the three drafts`);
    // Drafted today by the corrected clock, on every tablet.
    const when = await t.page.getByRole('region', { name: 'All questions in this meeting' })
      .locator('.question .byline').allTextContents();
    assert.equal(when.length, 3);
    for (const w of when) assert.match(w, / · today \d\d:\d\d$/, `${t.page.tabletName} shows the drafts as today's`);
  }
  await shot(ahead.page, 'clocks-2-ahead-drafts');
  await shot(behind.page, 'clocks-2-behind-drafts');

  // The clocks are put right and the app reopened: no banner, the drafts are
  // kept, and new drafts from both tablets still reach everyone.
  for (const t of [ahead, behind]) {
    await waitForStored(t.page);
    await t.page.evaluate((k) => localStorage.setItem(k, '0'), SKEW_KEY);
    await t.page.reload();
    await waitForHeader(t.page, 'Synced', 0);
    await waitForClockBanner(t.page, '');
    const body = uniqueText(`After the clock was put right on ${t.page.tabletName}`);
    await openMeeting(t.page);
    await openFirstItem(t.page);
    await draft(t.page, body);
    await submitDraft(t.page, body);
    bodies.push(body);
  }
  for (const t of tablets) {
    await waitForQuestions(t.page, bodies);
    await waitForHeader(t.page, 'Synced', 0);
    assert.equal((await listedQuestions(t.page)).length, 5, `${t.page.tabletName} lists the five drafts`);
    const lists = await meetingsLists(t.page);
    assert.equal(lists.upcoming.length, 1, `${t.page.tabletName}: the meeting is still upcoming`);
    assert.equal(await t.page.locator('#clock-banner').isHidden(), true);
  }
  await shot(ahead.page, 'clocks-3-ahead-put-right');
  for (const t of tablets) await t.context.close();
});
