// The issue-7 screens that were missing, in the real webapp against the real
// server: the clerk's record of public questions and statements with the
// panel's rule outcome in plain words; forward-plan rows edited by the clerk
// and the chair; the author's edit ("edited") and delete of a note; a
// highlight made with the keyboard alone; search across packs; the chair's
// groups of drafts (group, ungroup, merge), a draft dragged onto a question
// by touch and by mouse, and the printable HTML export of
// the list. Then every main screen at both tablet sizes: axe-core finds no
// serious or critical violation, and a screenshot goes to tests/e2e/artifacts/.
import assert from 'node:assert/strict';
import { test as nodeTest } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, assertAccessible, draft, submitDraft, openFirstItem, openMeeting,
  openTablet, panelSession, shot, signIn, smallTargets, uniqueText, waitForHeader, waitForPage,
} from './browser.mjs';
import { packText, withoutPacks } from './packs.mjs';

// Built on the real packs of ../shared/packs: every test is skipped, by name, without them.
const test = (name, fn) => nodeTest(name, { skip: withoutPacks }, fn);

const CLERK = 'Dana Whitfield';
const CHAIR = 'Cllr Alex Morgan';
const MEMBER_A = 'Cllr Jo Bennett';
const MEMBER_B = 'Cllr Tom Rees';
const MEMBER_C = 'Sam Okafor';
const OLD_MEETING = '10 December 2020';

const session = panelSession('panel-tools');
const tablet = session.tablet;
const tablets = session.byName;

const text = (page, sel) => page.locator(sel).first().textContent();

test('clerk: records public questions and statements and sees the rule outcome in plain words', async () => {
  const { page } = await tablet('clerk', CLERK);
  await page.getByRole('link', { name: 'Clerk' }).click();
  const region = page.getByRole('region', { name: 'Public questions and statements' });
  await region.waitFor();
  // The demo meeting (10 December 2026) states its deadline in the pack.
  await waitForPage(page, 'the rules line', () => /deadline 08:30 on Monday,? 7 December 2026 \(UK time\)/.test(document.querySelector('#submission-rules')?.textContent ?? ''));
  assert.match(await text(page, '#submission-rules'), /at most 450 words; one question or statement per person per meeting; the first 8 questions/);

  async function record(name, kind, received, body) {
    await region.getByLabel('From (name, or town or parish council)').fill(name);
    await region.getByLabel('Kind').selectOption(kind);
    await region.getByLabel('Received', { exact: true }).fill(received);
    await region.getByLabel('Text as received').fill(body);
    const previous = await page.locator('#submission-outcome').textContent();
    await region.getByRole('button', { name: 'Record submission' }).click();
    await waitForPage(page, `the outcome for ${name}`, ([n, prev]) => {
      const t = document.querySelector('#submission-outcome')?.textContent ?? '';
      return t !== prev && t.includes(n);
    }, [name, previous]);
    return (await text(page, '#submission-outcome')).trim();
  }
  assert.match(await record('Ann Smith', 'question', '2026-12-01T09:00', 'When will the 101 service answer within ten minutes?'),
    /^Recorded the question from Ann Smith \(9 words\)\. Accepted\.$/);
  assert.match(await record('Ann Smith', 'statement', '2026-12-01T10:00', 'I wish to make a statement about speeding in our village.'),
    /Not accepted: one question or statement per person per meeting\.$/);
  assert.match(await record('Bob Long', 'question', '2026-12-02T09:00', 'word '.repeat(460).trim()),
    /Not accepted: it has 460 words; the limit is 450\.$/);
  assert.match(await record('Late Parish Council', 'question', '2026-12-07T09:00', 'Why are rural crime figures rising?'),
    /Not accepted: it arrived after the deadline \(2026-12-07 08:30\)\.$/);
  for (let i = 2; i <= 8; i++) {
    assert.match(await record(`Resident ${i}`, 'question', `2026-12-03T0${i}:00`, `Question number ${i} from the public.`), /Accepted\.$/);
  }
  assert.match(await record('Resident Nine', 'question', '2026-12-04T09:00', 'One question too many.'),
    /Not accepted: the first 8 questions were already accepted\.$/);
  assert.equal(await region.locator('.submission').count(), 12, 'everything received is kept');
  assert.equal(await region.locator('.submission.accepted').count(), 8);
  await waitForHeader(page, 'Synced', 0);
  await region.getByRole('heading', { name: 'Record a submission' }).scrollIntoViewIfNeeded();
  await assertAccessible(page, 'public submissions');
  await shot(page, 'tools-1-clerk-submissions');
});

test('forward plan: the clerk and the chair edit a row (notes, lead, KLOEs, approach); a member reads it', async () => {
  const clerk = tablets.clerk.page;
  await clerk.getByLabel('Pack file').setInputFiles({ name: 'agenda-pack-2020-12-10.txt', mimeType: 'text/plain', buffer: Buffer.from(packText()) });
  await clerk.locator('#preview-count').waitFor({ timeout: 30_000 });
  await clerk.getByRole('button', { name: 'Publish this pack' }).click();
  await clerk.locator('#import-result').waitFor();
  const plan = clerk.getByRole('region', { name: 'Forward plan' });
  await plan.locator('.fp-row').first().waitFor();
  const rowCount = await plan.locator('.fp-row').count();
  assert.ok(rowCount >= 10, `the pack's forward plan rows are listed (${rowCount})`);
  const row = plan.locator('.fp-row').first();
  const title = (await row.locator('.fp-title').textContent()).trim();
  await row.locator('summary').click();
  await row.getByLabel('Notes').fill('Moved to February at the PCC’s request.');
  await row.getByLabel('PCP lead').fill('Cllr Tom Rees');
  await row.getByLabel('Key lines of enquiry').fill('How many officers are trained?\nWhat has changed since the HMICFRS report?');
  await row.getByLabel('Approach').selectOption('SSR');
  await row.getByRole('button', { name: 'Save row' }).click();
  await row.getByText('Saved on this tablet.').waitFor();
  await waitForPage(clerk, 'the summary to show the edit', () =>
    /SSR · Lead: Cllr Tom Rees/.test(document.querySelector('.fp-row summary')?.textContent ?? ''));
  await waitForHeader(clerk, 'Synced', 0);
  await assertAccessible(clerk, 'clerk with the forward plan open');
  await row.scrollIntoViewIfNeeded();
  await shot(clerk, 'tools-2-clerk-forward-plan');

  // The chair edits the same row's notes from the priority view.
  const chair = await tablet('chair', CHAIR);
  await chair.page.goto(new URL('#/priority/', chair.page.url()).href);
  const cplan = chair.page.getByRole('region', { name: 'Forward plan' });
  const crow = cplan.locator('.fp-row', { hasText: title }).first();
  await waitForPage(chair.page, 'the clerk’s edit on the chair’s tablet', () =>
    /SSR · Lead: Cllr Tom Rees/.test(document.querySelector('.fp-row summary')?.textContent ?? ''));
  await crow.locator('summary').click();
  assert.equal(await crow.getByLabel('Key lines of enquiry').inputValue(), 'How many officers are trained?\nWhat has changed since the HMICFRS report?');
  await crow.getByLabel('Notes').fill('Chair: take it as a spotlight review in March.');
  await crow.getByRole('button', { name: 'Save row' }).click();
  await crow.getByText('Saved on this tablet.').waitFor();
  await waitForHeader(chair.page, 'Synced', 0);

  // A member reads it and cannot edit it.
  const member = await tablet('member-b', MEMBER_B);
  await member.page.goto(new URL('#/priority/', member.page.url()).href);
  const mrow = member.page.getByRole('region', { name: 'Forward plan' }).locator('.fp-row', { hasText: title }).first();
  await mrow.locator('summary').click();
  await waitForPage(member.page, 'the chair’s notes on the member’s tablet', () =>
    [...document.querySelectorAll('.fp-row textarea')].some((t) => t.value.startsWith('Chair: take it')));
  assert.equal(await mrow.getByRole('button', { name: 'Save row' }).count(), 0, 'no save button for a member');
  assert.equal(await mrow.getByLabel('Notes').getAttribute('readonly'), '');
});

test('reader: a highlight with the keyboard alone; the author edits a note (shown as edited) and deletes it; search across packs', async () => {
  const { page } = await tablet('member-a', MEMBER_A);
  await openMeeting(page, OLD_MEETING);
  await page.getByRole('link', { name: 'Read the pack' }).click();
  await page.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
  await waitForPage(page, 'item 5 in the reader', () =>
    /^5\. POLICE AND CRIME PLAN MONITORING REPORT/.test(document.querySelector('#reader-item-title')?.textContent ?? ''));

  // Keyboard: Tab reaches the text (one stop), Down moves to a long paragraph,
  // Ctrl+Shift+Right selects three words, Enter opens the note field.
  const target = await page.evaluate(() => {
    const all = [...document.querySelectorAll('.pack-text [data-block]')];
    return all.findIndex((e) => e.classList.contains('block-paragraph') && e.textContent.length > 80);
  });
  assert.ok(target >= 0);
  await page.locator('#reader-item-title').focus();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.hasAttribute('data-block'))) break;
  }
  assert.ok(await page.evaluate(() => document.activeElement?.hasAttribute('data-block')), 'Tab reaches the text');
  const at = await page.evaluate(() => [...document.querySelectorAll('.pack-text [data-block]')].indexOf(document.activeElement));
  for (let i = at; i < target; i++) await page.keyboard.press('ArrowDown');
  const paragraph = await page.evaluate(() => document.activeElement.textContent);
  for (let i = 0; i < 3; i++) await page.keyboard.press('Control+Shift+ArrowRight');
  const expected = paragraph.split(/\s+/).slice(0, 3).join(' ');
  await page.getByRole('region', { name: 'Selected text' }).waitFor();
  assert.equal((await text(page, '.bar-quote')).replace(/[“”]/g, '').trim(), expected);
  assert.match(await text(page, '#keyboard-selection'), /characters selected/);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'annotation-note', 'Enter moves to the note field');
  await page.keyboard.type('Ask for the trend behind these words.');
  await assertAccessible(page, 'reader with a keyboard selection');
  await shot(page, 'tools-3-reader-keyboard-selection');
  await page.getByRole('button', { name: 'Save highlight or note' }).click();
  const ann = page.locator('.annotations .annotation', { hasText: 'Ask for the trend' });
  await ann.waitFor();
  assert.equal((await ann.locator('blockquote').textContent()).replace(/[“”]/g, ''), expected);
  assert.doesNotMatch(await ann.locator('.meta').textContent(), /edited/);

  // The author edits the note and who sees it: the list says "edited".
  await ann.getByRole('button', { name: /^Edit your note/ }).click();
  const form = page.getByRole('form', { name: 'Edit your note' });
  await form.getByLabel('Note').fill('Ask for the three-year trend.');
  await form.getByLabel('Who sees it').selectOption('panel');
  await assertAccessible(page, 'reader, editing a note');
  await shot(page, 'tools-3-reader-edit-note');
  await form.getByRole('button', { name: 'Save changes' }).click();
  const edited = page.locator('.annotations .annotation', { hasText: 'three-year trend' });
  await edited.waitFor();
  assert.match(await edited.locator('.meta').textContent(), /The whole panel · page \d+ · edited$/);
  await waitForPage(page, 'the margin to show the new words', () =>
    [...document.querySelectorAll('.margin-note')].some((e) => e.textContent.includes('three-year trend')));
  await waitForHeader(page, 'Synced', 0);

  // Another member sees it edited, and gets no Edit/Delete buttons.
  const b = tablets['member-b'].page;
  await openMeeting(b, OLD_MEETING);
  await b.getByRole('link', { name: 'Read the pack' }).click();
  await b.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
  const seen = b.locator('.annotations .annotation', { hasText: 'three-year trend' });
  await seen.waitFor();
  assert.match(await seen.locator('.meta').textContent(), /edited$/);
  assert.equal(await seen.getByRole('button', { name: /^(Edit|Delete) your/ }).count(), 0);

  // The author deletes it (the bar that follows offers an undo); it goes from every tablet.
  await edited.getByRole('button', { name: /^Delete your note/ }).click();
  await waitForPage(page, 'the note to go', () => ![...document.querySelectorAll('.annotation')].some((e) => e.textContent.includes('three-year trend')));
  assert.equal(await page.locator('mark.hl-note').count(), 0);
  await waitForPage(b, 'the note to go on the other tablet', () =>
    ![...document.querySelectorAll('.annotation')].some((e) => e.textContent.includes('three-year trend')));

  // Search across packs: a word only the demo meeting's pack has.
  await page.getByLabel('Search', { exact: true }).fill('Avonmere');
  await waitForPage(page, 'a search in this pack', () => /Nothing found/.test(document.querySelector('#search-count')?.textContent ?? ''));
  await page.getByLabel('In every pack on this tablet').check();
  await waitForPage(page, 'results from the other pack', () => /found/.test(document.querySelector('#search-count')?.textContent ?? '') &&
    !/Nothing/.test(document.querySelector('#search-count').textContent));
  const where = await page.locator('.search-results .where').allTextContents();
  assert.ok(where.length > 0 && where.every((w) => /^Thursday,? 10 December 2026 · Item /.test(w)), where.join(' | '));
  await assertAccessible(page, 'search across packs');
  await shot(page, 'tools-4-reader-search-all-packs');
  await page.locator('.search-results li a').first().click();
  await waitForPage(page, 'the other meeting’s pack', () => /10 December 2026/.test(document.querySelector('#reader-title')?.textContent ?? ''));
});

test('board: the chair groups drafts without merging, ungroups, merges a group; the printable HTML has numbered questions, leads and sections', async () => {
  // Four drafts on the demo meeting from two members.
  const a = tablets['member-a'].page;
  const b = tablets['member-b'].page;
  const qa = uniqueText('How many rural crime officers are there now?');
  const qb = uniqueText('What is being done about rural crime in the north?');
  const qc = uniqueText('When will the precept consultation open?');
  const qd = uniqueText('Will the precept consultation include rural parishes?');
  await openMeeting(a);
  await openFirstItem(a);
  await draft(a, qa);
  await submitDraft(a, qa);  // (a draft is its author's own until submitted)
  await draft(a, qc);
  await submitDraft(a, qc);  // (a draft is its author's own until submitted)
  await openMeeting(b);
  await openFirstItem(b);
  await draft(b, qb);
  await submitDraft(b, qb);  // (a draft is its author's own until submitted)
  await draft(b, qd);
  await submitDraft(b, qd);  // (a draft is its author's own until submitted)
  await waitForHeader(a, 'Synced', 0);
  await waitForHeader(b, 'Synced', 0);

  const chair = tablets['chair'].page;
  await chair.getByRole('link', { name: 'Question board' }).click();
  const card = (body) => chair.locator('.draft-card', { hasText: body });
  for (const q of [qa, qb, qc, qd]) await card(q).waitFor();
  const choose = (body) => card(body).getByRole('checkbox').check();
  const byline = async (body) => (await card(body).locator('.byline').textContent()).trim();
  const before = await byline(qa);

  // Group qa and qb; then qc with qd, ungrouped again.
  await choose(qa);
  await choose(qb);
  await chair.getByRole('button', { name: 'Group without merging' }).click();
  const groups = chair.getByRole('list', { name: 'Groups not merged yet' });
  await groups.locator('.group').first().waitFor();
  assert.equal(await groups.locator('.group').count(), 1);
  assert.match(await groups.locator('.group .cq-head').textContent(), /Group 1 · 2 drafts/);
  assert.equal(await byline(qa), `${before} · in group 1`, 'a grouped draft keeps its status');
  assert.equal(await chair.getByRole('list', { name: 'Final question list' }).locator('.consolidated').count(), 0, 'nothing merged yet');
  await choose(qc);
  await choose(qd);
  await chair.getByRole('button', { name: 'Group without merging' }).click();
  await waitForPage(chair, 'two groups', () => document.querySelectorAll('.board-groups .group').length === 2);
  await assertAccessible(chair, 'board with groups');
  await shot(chair, 'tools-5-board-groups');
  await chair.getByRole('button', { name: 'Ungroup group 2' }).click();
  await waitForPage(chair, 'one group left', () => document.querySelectorAll('.board-groups .group').length === 1);

  // Merge group 1 with the chair's wording, lead label and section.
  await chair.locator('#merge-section').selectOption('Finance');
  await chair.locator('#merge-label').fill('Priority Four (Sherry)');
  await chair.getByLabel('Wording for group 1').fill('What is the PCC doing about rural crime, and how many officers work on it?');
  await chair.getByRole('button', { name: 'Merge into the list: group 1' }).click();
  const list = chair.getByRole('list', { name: 'Final question list' });
  await list.locator('.consolidated').first().waitFor();
  assert.match(await list.locator('.consolidated .cq-head').first().textContent(), /^Q1 · Finance · Question Lead – Priority Four \(Sherry\)/);
  await waitForPage(chair, 'no group left', () => !document.querySelector('.board-groups .group'));
  await waitForPage(chair, 'the drafts merged into Q1', (q) =>
    [...document.querySelectorAll('.draft-card')].some((e) => e.textContent.includes(q) && /Consolidated/.test(e.querySelector('.byline').textContent)), qa);

  // A second question, in another section, merged directly.
  await choose(qc);
  await chair.getByLabel('Wording put to the Commissioner').fill('When does the precept consultation open, and for how long?');
  await chair.locator('#merge-section').selectOption('In quarter');
  await chair.locator('#merge-label').fill('Priority One (Rees)');
  await chair.getByRole('button', { name: 'Add to the final list' }).click();
  await waitForPage(chair, 'Q2 on the list', () => document.querySelectorAll('.board-list .consolidated').length === 2);

  // Printable HTML, from the board: the link's document is the core's export.
  await chair.getByRole('button', { name: 'Printable HTML' }).click();
  const open = chair.getByRole('link', { name: 'Open to print' });
  await open.waitFor();
  const download = chair.getByRole('link', { name: /^Download questions-.*\.html$/ });
  assert.equal(await download.getAttribute('href'), await open.getAttribute('href'));
  const html = await chair.evaluate(async (href) => (await fetch(href)).text(), await open.getAttribute('href'));
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<h1>Avonmere Police and Crime Panel – 10 December 2026<\/h1>/);
  assert.match(html, /<h3>Finance questions<\/h3>\s*<ol start="1">\s*<li><span class="lead">Question Lead – Priority Four \(Sherry\)<\/span>What is the PCC doing about rural crime, and how many officers work on it\?<\/li>\s*<\/ol>/);
  assert.match(html, /<h3>In quarter questions<\/h3>\s*<ol start="2">\s*<li><span class="lead">Question Lead – Priority One \(Rees\)<\/span>When does the precept consultation open, and for how long\?<\/li>\s*<\/ol>/);
  // Opened in a tab, as the chair would to print it.
  const [popup] = await Promise.all([chair.waitForEvent('popup'), open.click()]);
  await popup.waitForLoadState();
  const printed = await popup.evaluate(() => ({
    sections: [...document.querySelectorAll('h3')].map((e) => e.textContent),
    numbers: [...document.querySelectorAll('ol')].flatMap((ol) => [...ol.children].map((_, i) => ol.start + i)),
    leads: [...document.querySelectorAll('.lead')].map((e) => e.textContent),
  }));
  assert.deepEqual(printed, {
    sections: ['Finance questions', 'In quarter questions'],
    numbers: [1, 2],
    leads: ['Question Lead – Priority Four (Sherry)', 'Question Lead – Priority One (Rees)'],
  });
  await popup.close();
  await shot(chair, 'tools-6-board-export');
});

// A finger on the chair's tablet: real touch input (CDP touch events, so the
// browser's own touch -> pointer pipeline and touch-action apply), from
// `from` to wherever `to()` is once the page has scrolled it into view
// (holding the finger at the window's edge scrolls the page).
async function touchDrag(page, from, to) {
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, p) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: p ? [{ x: p.x, y: p.y, id: 1 }] : [] });
  const center = async (loc) => {
    const b = await loc.boundingBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  };
  const height = await page.evaluate(() => window.innerHeight);
  let at = await center(from);
  await touch('touchStart', at);
  for (let i = 0; i < 100; i++) {
    const goal = await center(to);
    if (goal.y > 70 && goal.y < height - 70) {
      for (let s = 1; s <= 8; s++) await touch('touchMove', { x: at.x + ((goal.x - at.x) * s) / 8, y: at.y + ((goal.y - at.y) * s) / 8 });
      at = goal;
      break;
    }
    // Off screen: hold the finger at the edge it lies beyond.
    const edge = { x: goal.x, y: goal.y < 70 ? 20 : height - 20 };
    for (let s = 1; s <= 4; s++) await touch('touchMove', { x: at.x + ((edge.x - at.x) * s) / 4, y: at.y + ((edge.y - at.y) * s) / 4 });
    at = edge;
    await page.waitForTimeout(100);
  }
  await touch('touchEnd');
  await cdp.detach();
}

// The drafts come from a member who has submitted none yet: the panel allows
// two questions per councillor per meeting, and member-b used theirs above
// (a third submission is refused, so the chair would never see it).
test('board: on a tablet, a draft dragged by touch (and then one by mouse) onto a question of the list merges into it (provenance shown)', async () => {
  const c = (await tablet('member-c', MEMBER_C)).page;
  const qe = uniqueText('Will the precept consultation be online as well as on paper?');
  await openMeeting(c);
  await openFirstItem(c);
  await draft(c, qe);
  await submitDraft(c, qe);  // (a draft is its author's own until submitted)
  await waitForHeader(c, 'Synced', 0);

  const chair = tablets['chair'].page;
  await chair.getByRole('link', { name: 'Question board' }).click();
  const card = chair.locator('.draft-card', { hasText: qe });
  await card.waitFor();
  const q2 = chair.getByRole('list', { name: 'Final question list' }).locator('.consolidated', { hasText: 'precept consultation open' });
  assert.match(await q2.locator('.provenance summary').textContent(), new RegExp(`^From 1 draft: ${MEMBER_A}$`));
  await chair.evaluate(() => {
    window.pointerTypes = [];
    window.addEventListener('pointerdown', (e) => window.pointerTypes.push(e.pointerType), { capture: true });
  });
  await card.locator('.drag-handle').scrollIntoViewIfNeeded();
  await touchDrag(chair, card.locator('.drag-handle'), q2);
  assert.deepEqual(await chair.evaluate(() => window.pointerTypes), ['touch'], 'the drag was made with a finger');
  await waitForPage(chair, 'the draft merged into Q2', () =>
    /^From 2 drafts: /.test([...document.querySelectorAll('.board-list .consolidated')]
      .find((e) => e.textContent.includes('precept consultation open'))?.querySelector('.provenance summary')?.textContent ?? ''));
  const provenance = await q2.locator('.provenance summary').textContent();
  assert.match(provenance, new RegExp(MEMBER_A));
  assert.match(provenance, new RegExp(MEMBER_C));
  await q2.locator('.provenance summary').click();
  assert.ok((await q2.locator('.provenance li').allTextContents()).some((t) => t.includes(qe)), 'the dropped draft is listed under the question');
  await waitForPage(chair, 'the dropped draft consolidated', (q) =>
    [...document.querySelectorAll('.draft-card')].some((e) => e.textContent.includes(q) && /Consolidated/.test(e.querySelector('.byline').textContent)), qe);
  assert.equal(await chair.locator('.drag-ghost').count(), 0, 'no floating copy left behind');
  await shot(chair, 'tools-7-board-touch-drag');

  // The same handle with a mouse, onto Q1.
  const qf = uniqueText('How many rural crime reports came in online last year?');
  await draft(c, qf);
  await submitDraft(c, qf);  // (a draft is its author's own until submitted)
  await waitForHeader(c, 'Synced', 0);
  const card2 = chair.locator('.draft-card', { hasText: qf });
  await card2.waitFor();
  const q1 = chair.getByRole('list', { name: 'Final question list' }).locator('.consolidated', { hasText: 'rural crime, and how many' });
  await q1.scrollIntoViewIfNeeded();
  await card2.locator('.drag-handle').scrollIntoViewIfNeeded();
  const from = await card2.locator('.drag-handle').boundingBox();
  await chair.evaluate(() => { window.pointerTypes = []; });
  await chair.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await chair.mouse.down();
  // Q1 may be off screen now: rest at the edge until the page has scrolled to it.
  for (let i = 0; i < 100; i++) {
    const box = await q1.boundingBox();
    const height = await chair.evaluate(() => window.innerHeight);
    if (box.y + box.height / 2 > 70 && box.y + box.height / 2 < height - 70) {
      await chair.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 8 });
      break;
    }
    await chair.mouse.move(box.x + box.width / 2, box.y < 70 ? 20 : height - 20, { steps: 4 });
    await chair.waitForTimeout(100);
  }
  await chair.mouse.up();
  assert.deepEqual(await chair.evaluate(() => window.pointerTypes), ['mouse']);
  await waitForPage(chair, 'the draft merged into Q1', () =>
    /^From 3 drafts: /.test([...document.querySelectorAll('.board-list .consolidated')]
      .find((e) => e.textContent.includes('rural crime, and how many'))?.querySelector('.provenance summary')?.textContent ?? ''));
});

// Every main screen at both tablet sizes, with the data the tests above made.
for (const [orientation, viewport] of [['portrait', TABLET_PORTRAIT], ['landscape', TABLET_LANDSCAPE]]) {
  test(`main screens in ${orientation} (${viewport.width}x${viewport.height}): meetings, reader, board, priority view, clerk`, async () => {
    const chair = await openTablet(session.browser, session.server.url, { name: `chair-${orientation}`, viewport });
    tablets[`chair-${orientation}`] = chair;
    const p = chair.page;
    await signIn(p, CHAIR, { meeting: false });
    await waitForHeader(p, 'Synced', 0);
    const screens = [
      ['1-meetings', '#/', '.meeting-card'],
      ['2-reader', null, '.pack-text [data-block]'],
      ['3-board', '#/board', '.board-list .consolidated'],
      ['4-priority', '#/priority/', '.fp-row'],
    ];
    for (const [name, hash, ready] of screens) {
      if (hash) await p.goto(new URL(hash, p.url()).href);
      else {
        await openMeeting(p, OLD_MEETING);
        await p.getByRole('link', { name: 'Read the pack' }).click();
        await p.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
      }
      await p.locator(ready).first().waitFor();
      await assertAccessible(p, name);
      assert.deepEqual(await smallTargets(p), [], `touch targets under 44 px on ${name}`);
      await shot(p, `tools-${orientation}-${name}`);
    }
    // The forward plan under the priority view, a row open for editing.
    const fp = p.getByRole('region', { name: 'Forward plan' }).locator('.fp-row').first();
    await fp.locator('summary').click();
    await fp.getByRole('button', { name: 'Save row' }).scrollIntoViewIfNeeded();
    await assertAccessible(p, 'forward plan row open');
    assert.deepEqual(await smallTargets(p), [], 'touch targets under 44 px on the forward plan');
    await shot(p, `tools-${orientation}-4b-forward-plan`);

    const clerk = await openTablet(session.browser, session.server.url, { name: `clerk-${orientation}`, viewport });
    tablets[`clerk-${orientation}`] = clerk;
    await signIn(clerk.page, CLERK, { meeting: false });
    await clerk.page.getByRole('link', { name: 'Clerk' }).click();
    await clerk.page.locator('.submission').first().waitFor();
    await assertAccessible(clerk.page, 'clerk');
    assert.deepEqual(await smallTargets(clerk.page), [], 'touch targets under 44 px on the clerk screen');
    await shot(clerk.page, `tools-${orientation}-5-clerk`);
    await clerk.page.getByRole('region', { name: 'Public questions and statements' }).scrollIntoViewIfNeeded();
    await shot(clerk.page, `tools-${orientation}-6-clerk-public`);
  });
}
