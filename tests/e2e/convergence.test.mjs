// What members see converges, in the real webapp against the real server:
// the chair and the vice-chair edit one KLOE's lines on two tablets while
// both are offline (one appends a line, one prepends one); back online both
// tablets, and a tablet that signs in afterwards, show both lines once. A
// member's draft over the word limit is refused in plain words; a long one
// is collapsed behind "Show more" and marked dir="auto".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, draft, openFirstItem, openMeeting, panelSession, shot, uniqueText,
  waitForHeader, waitForPage,
} from './browser.mjs';

const CHAIR = 'Cllr Alex Morgan';
const VICE = 'Cllr Priya Shah';
const MEMBER = 'Cllr Jo Bennett';

const session = panelSession('convergence');
const tablet = session.tablet;

const lines = (page, topic) => page.locator(`form.kloe[aria-label="KLOE: ${topic}"] textarea[name=bullets]`);

test('two tablets edit one KLOE’s lines offline; every tablet ends with both lines, once', async () => {
  const topic = uniqueText('Rural crime');
  const chair = await tablet('kloe-chair', CHAIR);
  await chair.page.goto(new URL('#/priority/', chair.page.url()).href);
  await chair.page.locator('#new-kloe-topic').fill(topic);
  await chair.page.locator('#new-kloe-bullets').fill('Farm thefts\nWildlife crime');
  await chair.page.getByRole('button', { name: 'Add KLOE' }).click();
  await lines(chair.page, topic).waitFor();
  await waitForHeader(chair.page, 'Synced', 0);

  const vice = await tablet('kloe-vice', VICE, TABLET_PORTRAIT);
  await vice.page.goto(new URL('#/priority/', vice.page.url()).href);
  await lines(vice.page, topic).waitFor();
  assert.equal(await lines(vice.page, topic).inputValue(), 'Farm thefts\nWildlife crime');

  await chair.context.setOffline(true);
  await vice.context.setOffline(true);
  await waitForHeader(chair.page, 'Offline', 0);
  await waitForHeader(vice.page, 'Offline', 0);
  await lines(chair.page, topic).fill('Farm thefts\nWildlife crime\nHare coursing');
  await chair.page.locator(`form.kloe[aria-label="KLOE: ${topic}"]`).getByRole('button', { name: 'Save KLOE' }).click();
  await lines(vice.page, topic).fill('Fly-tipping\nFarm thefts\nWildlife crime');
  await vice.page.locator(`form.kloe[aria-label="KLOE: ${topic}"]`).getByRole('button', { name: 'Save KLOE' }).click();
  await waitForHeader(chair.page, 'Offline', 1);
  await waitForHeader(vice.page, 'Offline', 1);

  await chair.context.setOffline(false);
  await vice.context.setOffline(false);
  const both = 'Fly-tipping\nFarm thefts\nWildlife crime\nHare coursing';
  for (const t of [chair, vice]) {
    await waitForHeader(t.page, 'Synced', 0);
    await waitForPage(t.page, 'both tablets’ lines', ([sel, want]) => document.querySelector(sel)?.value === want,
      [`form.kloe[aria-label="KLOE: ${topic}"] textarea[name=bullets]`, both]);
  }
  // A tablet that signs in afterwards reads the same lines (not the first version).
  const later = await tablet('kloe-later', MEMBER);
  await later.page.goto(new URL('#/priority/', later.page.url()).href);
  await waitForPage(later.page, 'the merged lines on a new tablet', ([sel, want]) => document.querySelector(sel)?.value === want,
    [`form.kloe[aria-label="KLOE: ${topic}"] textarea[name=bullets]`, both]);
  await shot(vice.page, 'convergence-1-kloe-merged-portrait');
  await shot(chair.page, 'convergence-1-kloe-merged-landscape');
});

test('a draft over 2,000 words is refused with its count; a long one is collapsed, dir="auto"', async () => {
  const t = await tablet('long-draft', MEMBER, TABLET_PORTRAIT);
  await openMeeting(t.page);
  await openFirstItem(t.page);
  await t.page.locator('#question-body').fill('word '.repeat(2001).trim());
  await t.page.getByRole('button', { name: 'Save draft' }).click();
  await t.page.locator('#question-error').waitFor();
  assert.equal(await t.page.locator('#question-error').textContent(),
    'Your question was not saved: A question can have at most 2,000 words; this one has 2,001. Shorten it and save again.');
  assert.equal(await t.page.locator('#question-body').inputValue(), 'word '.repeat(2001).trim(), 'the text stays in the form');

  const long = uniqueText('مرحبا، كيف حالك؟ ' + 'How many officers are in post? '.repeat(60));
  await draft(t.page, long);
  const mine = t.page.locator('.my-questions li.question').first();
  await mine.waitFor();
  const body = mine.locator('p.body').first();
  assert.equal(await body.getAttribute('dir'), 'auto');
  const button = body.getByRole('button', { name: 'Show more' });
  await button.waitFor();
  const collapsed = await mine.boundingBox();
  assert.ok(collapsed.height < 400, `a long draft is collapsed (${collapsed.height}px)`);
  await shot(t.page, 'convergence-2-long-draft-collapsed');
  await button.click();
  assert.equal(await body.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded'), 'true');
  assert.ok((await body.textContent()).includes(long.slice(-40)));
});
