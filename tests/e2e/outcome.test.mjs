// What members see of the outcome, in the real webapp against the real
// server: a member submits two drafts; the chair puts one of them into two
// questions of the final list (the board notes it on both) and the other
// into one; the clerk records one answer given at the meeting, with its
// recording time, and one in writing. The member's meeting view then shows
// the final list, and for each of their drafts the question it became, its
// wording and its answer. Along the way, errors a member, the chair and the
// clerk provoke are checked: plain words, next to where they acted, on screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, draft, openFirstItem, openMeeting, panelSession, shot, submitDraft,
  uniqueText, waitForHeader, waitForPage,
} from './browser.mjs';

const CLERK = 'Dana Whitfield';
const CHAIR = 'Cllr Alex Morgan';
const MEMBER = 'Cllr Jo Bennett';

const session = panelSession('outcome');
const tablets = session.byName;
const tablet = async (name, member, viewport) => (await session.tablet(name, member, viewport)).page;

// An error as members should read it: a sentence in plain words (no codes,
// no program names, nothing "undefined"), shown on screen where they acted.
async function assertPlainError(page, locator, want) {
  await waitForPage(page, `the error “${want}”`, ([sel, w]) => document.querySelector(sel)?.textContent === w,
    [await locator.evaluate((e) => `#${e.id}`), want]);
  assert.doesNotMatch(want, /undefined|null|NaN|\[object|::|\b[a-z]+_[a-z_]+\b|errc|Error:|code \d/);
  const box = await locator.boundingBox();
  const view = page.viewportSize();
  assert.ok(box && box.y >= 0 && box.y + box.height <= view.height, `the error is on screen (${JSON.stringify(box)})`);
}

const finalQuestion = (page, wording) =>
  page.getByRole('list', { name: 'Final question list' }).locator('.consolidated', { hasText: wording });
const number = async (li) => (await li.locator('.cq-head strong').textContent()).trim();

test('members see the outcome: the final list, and what each draft became, its wording and its answer; the board notes a draft in two questions', async () => {
  const member = await tablet('member', MEMBER, TABLET_PORTRAIT);
  await openMeeting(member);
  await openFirstItem(member);
  const qa = uniqueText('How many officers patrol the rural north at night?');
  const qb = uniqueText('How many rural crimes were reported online last year?');
  for (const q of [qa, qb]) {
    await draft(member, q);
    await submitDraft(member, q);
  }
  await waitForHeader(member, 'Synced', 0);
  // Before the chair has made the list, the member is told so.
  assert.equal(await member.locator('.final-list .empty').textContent(), 'The chair has not put the final list together yet.');

  // The chair: qa alone, then qa with qb, so qa sits in two questions.
  const chair = await tablet('chair', CHAIR);
  await chair.getByRole('link', { name: 'Question board' }).click();
  const card = (body) => chair.locator('.draft-card', { hasText: body });
  await card(qa).waitFor();
  await card(qb).waitFor();
  const wa = uniqueText('How many officers patrol rural areas at night, and where are they based?');
  const wb = uniqueText('How do people report rural crime, and how many reports came in online?');
  await card(qa).getByRole('checkbox').check();
  await chair.locator('#merge-body').fill(wa);
  await chair.getByRole('button', { name: 'Add to the final list' }).click();
  await finalQuestion(chair, wa).waitFor();
  await card(qa).getByRole('checkbox').check();
  await card(qb).getByRole('checkbox').check();
  await chair.locator('#merge-body').fill(wb);
  await chair.getByRole('button', { name: 'Add to the final list' }).click();
  await finalQuestion(chair, wb).waitFor();
  const na = await number(finalQuestion(chair, wa));
  const nb = await number(finalQuestion(chair, wb));
  assert.notEqual(na, nb);
  // The board says where a draft sits twice, on both questions.
  assert.equal(await finalQuestion(chair, wa).locator('.notice.in-two').textContent(), `${MEMBER}’s draft is also in ${nb}.`);
  assert.equal(await finalQuestion(chair, wb).locator('.notice.in-two').textContent(), `${MEMBER}’s draft is also in ${na}.`);
  assert.equal(await finalQuestion(chair, wb).locator('.notice.in-two').count(), 1, 'only the draft in two questions is noted');
  await finalQuestion(chair, wb).scrollIntoViewIfNeeded();
  await shot(chair, 'outcome-1-board-draft-in-two-questions');
  await waitForHeader(chair, 'Synced', 0);

  // The clerk records the answers: one at the meeting (a wrong recording
  // time first, refused in plain words next to the form), one in writing.
  const clerk = await tablet('clerk', CLERK);
  await clerk.getByRole('link', { name: 'Clerk' }).click();
  const answerTo = (n) => clerk.getByLabel(`Answer to ${n}`, { exact: true });
  await answerTo(na).waitFor();
  await answerTo(na).fill('Twelve officers patrol the rural north at night, from Avonmere and Kingsbridge.');
  await clerk.getByLabel(`Recording time of the answer to ${na}`).fill('1 hour 20');
  await clerk.getByRole('button', { name: `Record the answer to ${na}` }).click();
  const clerkError = clerk.locator('#clerk-error');
  await assertPlainError(clerk, clerkError,
    'The answer was not recorded: a recording time reads like 01:20:24 (hours:minutes:seconds)');
  assert.equal(await clerkError.evaluate((e) => !!e.closest('form.answer-form')), true, 'the error sits in the answer’s form');
  await shot(clerk, 'outcome-2-clerk-answer-error');
  await clerk.getByLabel(`Recording time of the answer to ${na}`).fill('01:20:24');
  await clerk.getByRole('button', { name: `Record the answer to ${na}` }).click();
  await answerTo(nb).fill('Forty per cent of rural crime reports came in online.');
  await clerk.getByLabel(`${nb} answered in writing`).check();
  await clerk.getByRole('button', { name: `Record the answer to ${nb}` }).click();
  await waitForPage(clerk, 'both answers recorded', () => document.querySelectorAll('.answer-list .answer').length >= 2);
  await waitForHeader(clerk, 'Synced', 0);

  // The member's meeting view: the final list with the answers...
  await openMeeting(member);
  const final = member.getByRole('region', { name: 'The final question list' });
  const fq = (wording) => final.locator('li.question', { hasText: wording });
  await fq(wb).waitFor();
  assert.match(await fq(wa).locator('.cq-head').textContent(), new RegExp(`^${na} · `));
  assert.equal(await fq(wa).locator('.answer .meta').textContent(), 'Answered at the meeting (recording 01:20:24)');
  assert.match(await fq(wa).locator('.answer .body').textContent(), /^Twelve officers patrol/);
  assert.equal(await fq(wb).locator('.answer .meta').textContent(), 'Written answer');

  // ...and, for each of their drafts, what it became.
  const mine = (body) => member.locator('.my-questions li.question', { hasText: body });
  assert.equal(await mine(qa).locator('.outcome').textContent(),
    ` · ${na} answered at the meeting; ${nb} answered in writing`);
  const became = mine(qa).locator('.became');
  assert.equal(await became.count(), 2);
  assert.equal(await became.nth(0).locator('.meta').first().textContent(), `Became ${na} on the final list:`);
  assert.equal(await became.nth(0).locator('p.body').first().textContent(), wa);
  assert.equal(await became.nth(0).locator('.answer .meta').textContent(), 'Answered at the meeting (recording 01:20:24)');
  assert.equal(await became.nth(1).locator('.meta').first().textContent(), `Became ${nb} on the final list:`);
  assert.equal(await became.nth(1).locator('p.body').first().textContent(), wb);
  assert.equal(await became.nth(1).locator('.answer .meta').textContent(), 'Written answer');
  const becameB = mine(qb).locator('.became');
  assert.equal(await becameB.count(), 1);
  assert.equal(await becameB.locator('p.body').first().textContent(), wb);
  assert.equal(await becameB.locator('.answer .meta').textContent(), 'Written answer');
  assert.match(await mine(qb).locator('.outcome').textContent(), new RegExp(`answered in writing \\(${nb}\\)$`));
  await mine(qa).scrollIntoViewIfNeeded();
  await shot(member, 'outcome-3-member-sees-what-drafts-became');
});

test('errors fit the screen the member is on, in plain words: a third question, a merge without wording, an empty KLOE topic', async () => {
  // A member over the panel's limit of two questions per meeting: the
  // refusal sits with the draft they tried to submit, and the draft is kept.
  const member = tablets.member.page;
  await openMeeting(member);
  await openFirstItem(member);
  const qc = uniqueText('Will the rural north get a second night patrol?');
  await draft(member, qc);
  await member.getByRole('button', { name: `Submit to the chair: ${qc.slice(0, 60)}` }).click();
  const mineError = member.locator('#mine-error');
  await assertPlainError(member, mineError,
    'Not submitted: the panel allows 2 questions per councillor per meeting (sub-divided questions count towards that); you have already submitted 2 questions. Your draft is kept.');
  assert.equal(await mineError.evaluate((e, q) => e.closest('li')?.textContent.includes(q), qc), true, 'the error sits with that draft');
  assert.equal(await member.locator('.my-questions li.question', { hasText: qc }).locator('.q-status-draft').count(), 1);
  await shot(member, 'outcome-4-member-limit-error');

  // The chair adds a question without wording: told in the merge form.
  const chair = tablets.chair.page;
  await chair.getByRole('button', { name: 'Add to the final list' }).click();
  const boardError = chair.locator('#board-error');
  await assertPlainError(chair, boardError, 'Not added to the list: a question on the final list needs its wording');
  assert.equal(await boardError.evaluate((e) => !!e.closest('form.merge-form')), true, 'the error sits in the merge form');
  await shot(chair, 'outcome-5-board-merge-error');

  // A KLOE without a topic on the priority screen.
  await chair.goto(new URL('#/priority/', chair.url()).href);
  await chair.locator('#new-kloe-bullets').fill('Farm thefts');
  await chair.getByRole('button', { name: 'Add KLOE' }).click();
  await assertPlainError(chair, chair.locator('#new-kloe-error'), 'The KLOE was not added: a KLOE needs a topic');
});
