// Each role's main path on the real December 2020 pack, through the real
// server, at tablet sizes:
// - the clerk imports the pack from a PDF (pdf.js in the browser, the core's
//   importer), sets up a priority and its lead;
// - a member reads it (page markers, search), highlights for the panel and
//   privately, and drafts a question from a highlight (the quote goes along);
// - offline then merge: three members, the lead and the chair all work offline
//   (the lead edits the same KLOE on two tablets); back online everything
//   converges, the lead chooses between the two versions, the chair merges
//   drafts with provenance, reorders, assigns the question lead and exports;
// - the clerk records the answer, and the member sees what became of the draft.
import assert from 'node:assert/strict';
import { after, before, test as nodeTest } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, assertAccessible, draft, submitDraft, launchBrowser, openMeeting, openTablet, shot,
  signIn, uniqueText, waitForHeader, waitForPage, waitForQuestions,
} from './browser.mjs';
import { packPages, packPdf, packText, withoutPacks } from './packs.mjs';

// Built on the real packs of ../shared/packs: every test is skipped, by name, without them.
const test = (name, fn) => nodeTest(name, { skip: withoutPacks }, fn);
import { PacklineServer } from './server.mjs';

const CLERK = 'Dana Whitfield';
const CHAIR = 'Cllr Alex Morgan';
const LEAD = 'Cllr Tom Rees';
const MEMBER_A = 'Cllr Jo Bennett';
const MEMBER_C = 'Sam Okafor';
const MEETING = '10 December 2020';

let server;
let browser;
const tablets = [];
before(async () => {
  server = await PacklineServer.start('workflow');
  browser = await launchBrowser();
});
after(async () => {
  for (const t of tablets) await t.context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
});

async function tablet(name, member, viewport = TABLET_PORTRAIT) {
  const t = await openTablet(browser, server.url, { name, viewport });
  tablets.push(t);
  await signIn(t.page, member, { meeting: false });
  return t;
}

// Selects `phrase` inside the first block of the reader that contains it.
async function selectPhrase(page, phrase) {
  const ok = await page.evaluate((p) => {
    for (const el of document.querySelectorAll('.pack-text [data-block]')) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = n.textContent.indexOf(p);
        if (i < 0) continue;
        el.scrollIntoView({ block: 'center' });
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + p.length);
        const s = document.getSelection();
        s.removeAllRanges();
        s.addRange(r);
        return true;
      }
    }
    return false;
  }, phrase);
  assert.ok(ok, `the reader shows "${phrase}"`);
  await page.getByRole('region', { name: 'Selected text' }).waitFor();
}

test('clerk: imports the pack from a PDF and sets up a priority and its lead', async () => {
  const clerk = await tablet('clerk', CLERK, TABLET_LANDSCAPE);
  await clerk.page.getByRole('link', { name: 'Clerk' }).click();
  await clerk.page.getByRole('heading', { name: 'Publish a pack' }).waitFor();
  await assertAccessible(clerk.page, 'clerk desk');

  const pdf = await packPdf(browser, packPages(packText()));
  await clerk.page.getByLabel('Pack file').setInputFiles({ name: 'agenda-pack-2020-12-10.pdf', mimeType: 'application/pdf', buffer: pdf });
  await clerk.page.locator('#preview-count').waitFor({ timeout: 30_000 });
  assert.match(await clerk.page.locator('#preview-count').textContent(), /^13 agenda items/);
  const titles = await clerk.page.locator('.preview-items tbody tr td:nth-child(2)').allTextContents();
  assert.equal(titles[4], 'POLICE AND CRIME PLAN MONITORING REPORT');
  await shot(clerk.page, 'workflow-1-clerk-preview');
  await clerk.page.getByRole('button', { name: 'Publish this pack' }).click();
  await clerk.page.locator('#import-result').waitFor();
  assert.match(await clerk.page.locator('#import-result').textContent(), /^Published version 1: 13 items/);

  await clerk.page.getByLabel('Number').fill('1');
  await clerk.page.getByLabel('Title', { exact: true }).fill('Cut crime and anti-social behaviour');
  await clerk.page.getByRole('button', { name: 'Add priority' }).click();
  const leads = clerk.page.getByRole('group', { name: /Cut crime/ });
  await leads.getByLabel(LEAD).check();
  await waitForPage(clerk.page, 'the lead to be set', () =>
    [...document.querySelectorAll('.leads input:checked')].length === 1);
  await waitForHeader(clerk.page, 'Synced', 0);
  await shot(clerk.page, 'workflow-1-clerk-published');
});

test('member: reads the pack, searches it, highlights and notes with visibility, drafts from a highlight', async () => {
  const a = await tablet('member-a', MEMBER_A);
  await waitForPage(a.page, 'the imported meeting', (m) => document.body.innerText.includes(m), MEETING);
  await openMeeting(a.page, MEETING);
  await a.page.getByRole('link', { name: 'Read the pack' }).click();
  await a.page.locator('.pack-text [data-block]').first().waitFor();
  assert.ok(await a.page.locator('.page-marker').count() > 0, 'page markers between pages');

  await a.page.getByLabel('Search', { exact: true }).fill('precept');
  await waitForPage(a.page, 'search results', () => /found/.test(document.querySelector('#search-count')?.textContent ?? ''));
  assert.ok(await a.page.locator('.search-results li').count() > 0);
  await shot(a.page, 'workflow-2-reader-search');
  await a.page.locator('.search-results li a').first().click();
  await a.page.getByLabel('Search', { exact: true }).fill('');

  // The monitoring report (item 5).
  await a.page.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
  await waitForPage(a.page, 'item 5 in the reader', () =>
    /^5\. POLICE AND CRIME PLAN MONITORING REPORT/.test(document.querySelector('#reader-item-title')?.textContent ?? ''));
  const phrase = await a.page.evaluate(() => {
    const p = [...document.querySelectorAll('.pack-text .block-paragraph')].find((e) => e.textContent.length > 80);
    return p.textContent.slice(0, 60).trim();
  });
  await selectPhrase(a.page, phrase);
  await a.page.getByLabel('Who sees it').selectOption('panel');
  await a.page.getByLabel('Note (optional)').fill('Ask the PCC for the figures behind this.');
  await a.page.getByRole('button', { name: 'Save highlight or note' }).click();
  await a.page.locator('.annotations .annotation').first().waitFor();
  assert.equal(await a.page.locator('mark.hl-note').count(), 1, 'the note is marked in the text');
  assert.equal(await a.page.locator('.margin-note').count(), 1, 'and shown in the margin');

  const privatePhrase = await a.page.evaluate(() => {
    const ps = [...document.querySelectorAll('.pack-text .block-paragraph')].filter((e) => e.textContent.length > 80);
    return ps[ps.length - 1].textContent.slice(0, 40).trim();
  });
  await selectPhrase(a.page, privatePhrase);
  await a.page.getByLabel('Who sees it').selectOption('private');
  await a.page.getByRole('button', { name: 'Save highlight or note' }).click();
  await waitForPage(a.page, 'two annotations', () => document.querySelectorAll('.annotations .annotation').length === 2);
  await assertAccessible(a.page, 'reader with annotations');
  await shot(a.page, 'workflow-2-reader-annotated');

  // Draft from the panel note: the quote goes into the draft.
  await a.page.locator('.annotation', { hasText: 'Ask the PCC' }).getByRole('button', { name: 'Draft a question from this' }).click();
  const body = a.page.getByLabel('Your question');
  await body.waitFor();
  assert.ok((await body.inputValue()).startsWith(`“${phrase}`), 'the draft starts with the quote');
  await body.press('End');
  await body.pressSequentially('What are the figures behind this?');
  await a.page.getByLabel('Plan priority').selectOption({ label: '1. Cut crime and anti-social behaviour' });
  const typed = await body.inputValue();
  await a.page.getByRole('button', { name: 'Save draft' }).click();
  await a.page.getByText('Draft saved on this tablet.').waitFor();
  // A draft is its author's own until submitted; the lead sees it once it is.
  await a.page.getByRole('button', { name: `Submit to the chair: ${typed.slice(0, 60)}` }).click();
  await waitForHeader(a.page, 'Synced', 0);

  // The clerk republishes a revised pack: version 2, with what changed.
  const clerk = tablets.find((t) => t.page.tabletName === 'clerk');
  await clerk.page.goto(new URL('#/clerk', server.url).href);
  const revised = packText().replace('It provides a centralised point of contact',
    'It is the single point of contact, revised in this version,');
  const pdf2 = await packPdf(browser, packPages(revised));
  await clerk.page.getByLabel('Pack file').setInputFiles({ name: 'agenda-pack-2020-12-10-v2.pdf', mimeType: 'application/pdf', buffer: pdf2 });
  await clerk.page.getByRole('button', { name: 'Publish this pack' }).click();
  await clerk.page.locator('#import-result').waitFor();
  const published = await clerk.page.locator('#import-result').textContent();
  assert.match(published, /^Published version 2: 13 items, \d+ passages\. [1-9]\d* passages? changed since the last version\./);
  // The clerk sees the panel note (still exactly where it was), not the member's private highlight.
  assert.match(published, /Members’ annotations: 1 exact\.$/);
  await waitForHeader(clerk.page, 'Synced', 0);
  // The member's reader says what changed since they read it. The read mark
  // is the core's (replicated), not the tablet's: it holds with this
  // tablet's local storage cleared.
  const readerUrl = new URL(`#/read/${new URL(a.page.url()).hash.split('/')[2]}`, server.url).href;
  await a.page.evaluate(() => localStorage.clear());
  await a.page.goto(readerUrl);
  const changedNote = () => /new version since you last read/.test(document.querySelector('.changed-note')?.textContent ?? '');
  await waitForPage(a.page, 'the changed-since-read note', changedNote);
  // The item holding the revised paragraph is marked in the list of items.
  await a.page.locator('.reader-items a', { hasText: 'Changed' }).first().click();
  await a.page.locator('.block-row.changed', { hasText: 'revised in this version' }).waitFor();
  await shot(a.page, 'workflow-2-reader-changed-since-read');
  // The same member's second tablet, which never opened the pack, knows what
  // they read on the first one.
  const a2 = await tablet('member-a-2', MEMBER_A, TABLET_LANDSCAPE);
  await waitForPage(a2.page, 'the imported meeting', (m) => document.body.innerText.includes(m), MEETING);
  await waitForHeader(a2.page, 'Synced', 0);
  await a2.page.goto(readerUrl);
  await waitForPage(a2.page, 'the changed-since-read note on the second tablet', changedNote);
  assert.ok(await a2.page.locator('.reader-items a', { hasText: 'Changed' }).count() > 0, 'the changed item is marked there too');
  // Marked read on one tablet: read on both.
  await a.page.getByRole('button', { name: 'Mark as read' }).click();
  await waitForPage(a.page, 'no changed note', () => !document.querySelector('.changed-note p'));
  await waitForPage(a2.page, 'no changed note on the second tablet', () => !document.querySelector('.changed-note p'));
  assert.equal(await a2.page.locator('.reader-items a', { hasText: 'Changed' }).count(), 0);
  tablets.splice(tablets.indexOf(a2), 1);
  await a2.context.close();

  // Another member sees the panel note, not the private highlight.
  const c = await tablet('member-c', MEMBER_C, TABLET_LANDSCAPE);
  await waitForPage(c.page, 'the imported meeting', (m) => document.body.innerText.includes(m), MEETING);
  await openMeeting(c.page, MEETING);
  await c.page.getByRole('link', { name: 'Read the pack' }).click();
  await c.page.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
  await c.page.locator('.annotations .annotation').first().waitFor();
  const seen = await c.page.locator('.annotations .annotation').allTextContents();
  assert.equal(seen.length, 1, 'only the panel note is visible to another member');
  assert.match(seen[0], /Ask the PCC/);
  await shot(c.page, 'workflow-2-reader-other-member-landscape');
});

test('offline then merge: three members, the lead (two tablets) and the chair; then the chair consolidates and the clerk answers', async () => {
  const [a, c] = [tablets.find((t) => t.page.tabletName === 'member-a'), tablets.find((t) => t.page.tabletName === 'member-c')];
  const lead = await tablet('lead', LEAD);
  const lead2 = await tablet('lead-2', LEAD, TABLET_LANDSCAPE);
  const chair = await tablet('chair', CHAIR, TABLET_LANDSCAPE);

  // The lead drafts a KLOE online; both of the lead's tablets have it.
  await lead.page.getByRole('link', { name: 'My priority' }).click();
  await lead.page.getByLabel('Topic', { exact: true }).last().fill('Anti-social behaviour hotspots');
  await lead.page.getByLabel('Lines of enquiry (one per line)').fill('How are hotspots chosen?\nWhat has changed since the summer?');
  await lead.page.getByRole('button', { name: 'Add KLOE' }).click();
  await lead.page.locator('form.kloe').first().waitFor();
  await waitForHeader(lead.page, 'Synced', 0);
  await lead2.page.getByRole('link', { name: 'My priority' }).click();
  await lead2.page.locator('form.kloe').first().waitFor();

  for (const t of [a, c, lead, lead2, chair]) await t.context.setOffline(true);
  for (const t of [a, c, lead, lead2, chair]) await waitForHeader(t.page, 'Offline', 0);

  // Offline: each member drafts on item 9 (Fraud and cyber crime).
  const qa = uniqueText('How many fraud victims were contacted within 48 hours?');
  const qc = uniqueText('What share of fraud reports get a named investigator?');
  const ql = uniqueText('How is cyber crime training funded this year?');
  for (const [t, body] of [[a, qa], [c, qc], [lead, ql]]) {
    await openMeeting(t.page, MEETING);
    await t.page.getByRole('navigation', { name: 'Agenda' }).getByRole('button', { name: /FRAUD AND CYBER CRIME/ }).click();
    await draft(t.page, body);
    await submitDraft(t.page, body);  // (a draft is its author's own until submitted)
  }
  // The lead edits the same KLOE on both tablets: the topic differently on
  // each (a conflict to resolve), the lines of enquiry on one only.
  await lead.page.goto(new URL('#/priority/', server.url).href);
  const kloe1 = lead.page.locator('form.kloe').first();
  await kloe1.getByLabel('Topic').fill('Anti-social behaviour hotspots in towns');
  await kloe1.getByLabel('Lines of enquiry').fill('How are hotspots chosen?\nWhat has changed since the summer?\nWho decides the patrol hours?');
  await kloe1.getByRole('button', { name: 'Save KLOE' }).click();
  const kloe2 = lead2.page.locator('form.kloe').first();
  await kloe2.getByLabel('Topic').fill('Anti-social behaviour hotspots in rural areas');
  await kloe2.getByRole('button', { name: 'Save KLOE' }).click();
  await waitForHeader(lead2.page, 'Offline', 1);
  await shot(lead.page, 'workflow-3-offline-lead');

  for (const t of [a, c, lead, lead2, chair]) await t.context.setOffline(false);
  for (const t of [a, c, lead, lead2, chair]) await waitForHeader(t.page, 'Synced', 0);

  // Both versions of the topic are offered; the lead keeps one, everywhere.
  await lead.page.getByRole('group', { name: 'Two versions to choose from' }).waitFor();
  const versions = await lead.page.locator('.versions[data-field="topic"] .version-text').allTextContents();
  assert.deepEqual([...versions].sort(), ['Anti-social behaviour hotspots in rural areas', 'Anti-social behaviour hotspots in towns']);
  await assertAccessible(lead.page, 'priority view with a conflict');
  await shot(lead.page, 'workflow-4-kloe-two-versions');
  const keep = versions.indexOf('Anti-social behaviour hotspots in rural areas');
  await lead.page.getByRole('button', { name: `Keep version ${keep + 1} of the topic` }).click();
  await waitForPage(lead.page, 'the conflict to be resolved', () => !document.querySelector('.conflict'));
  for (const t of [lead, lead2]) {
    await waitForPage(t.page, 'the kept version and the merged lines of enquiry', () => {
      const f = document.querySelector('form.kloe');
      return f?.querySelector('input[name=topic]')?.value === 'Anti-social behaviour hotspots in rural areas'
        && f.querySelector('textarea')?.value.includes('Who decides the patrol hours?')
        && !document.querySelector('.conflict');
    });
  }
  // The lead's priority view lists the member's question tagged with it.
  await lead.page.getByRole('region', { name: 'Members’ questions on this priority' }).getByText('What are the figures behind this?').waitFor();

  // The chair merges A's and C's drafts into Q1 (lead: A), adds the lead's as Q2, moves Q2 up, exports.
  await chair.page.getByRole('link', { name: 'Question board' }).click();
  await chair.page.getByLabel('Meeting').selectOption({ label: `Dorset Police and Crime Panel, Thursday, ${MEETING}` }).catch(async () => {
    const opt = await chair.page.locator('#board-meeting option', { hasText: MEETING }).getAttribute('value');
    await chair.page.getByLabel('Meeting').selectOption(opt);
  });
  for (const body of [qa, qc, ql]) await chair.page.locator('.draft-card', { hasText: body }).waitFor();
  await chair.page.locator('.draft-card', { hasText: qa }).getByRole('checkbox').check();
  await chair.page.locator('.draft-card', { hasText: qc }).getByRole('checkbox').check();
  assert.match(await chair.page.getByLabel('Wording put to the Commissioner').inputValue(), /48 hours[\s\S]*named investigator/);
  await chair.page.getByLabel('Wording put to the Commissioner').fill('How quickly are fraud victims contacted, and how many get a named investigator?');
  await chair.page.getByLabel('Question lead', { exact: true }).selectOption({ label: MEMBER_A });
  await chair.page.getByLabel('Lead label').fill('Priority One (Jo)');
  await chair.page.getByRole('button', { name: 'Add to the final list' }).click();
  await chair.page.locator('.consolidated', { hasText: 'named investigator' }).waitFor();
  await chair.page.locator('.draft-card', { hasText: ql }).getByRole('checkbox').check();
  await chair.page.getByLabel('Section', { exact: true }).selectOption('Finance');
  await chair.page.getByRole('button', { name: 'Add to the final list' }).click();
  await chair.page.locator('.consolidated', { hasText: 'cyber crime training' }).waitFor();
  await chair.page.getByRole('button', { name: 'Move up Q2' }).click();
  await waitForPage(chair.page, 'the new order', () =>
    document.querySelector('.board-list .consolidated .body')?.textContent.includes('cyber crime training'));
  const provenance = await chair.page.locator('.consolidated', { hasText: 'named investigator' }).locator('.provenance summary').textContent();
  assert.match(provenance, new RegExp(`From 2 drafts: .*${MEMBER_A}`));
  assert.match(provenance, new RegExp(MEMBER_C));
  await assertAccessible(chair.page, 'question board');
  await shot(chair.page, 'workflow-5-board');
  await chair.page.getByRole('button', { name: 'Export as Markdown' }).click();
  const md = await chair.page.locator('.export-text').textContent();
  assert.match(md, /Question Lead/);
  assert.ok(md.indexOf('cyber crime training') < md.indexOf('named investigator'), 'the export follows the new order');
  await waitForHeader(chair.page, 'Synced', 0);

  // Member A sees what became of the draft.
  await openMeeting(a.page, MEETING);
  await waitForPage(a.page, 'the outcome of the draft', (b) => [...document.querySelectorAll('.my-questions .question')]
    .some((e) => e.textContent.includes(b) && /merged into Q2/.test(e.textContent)), qa);

  // The clerk records the answer to Q2 (A's merged question) with the recording time.
  const clerk = tablets.find((t) => t.page.tabletName === 'clerk');
  await clerk.page.goto(new URL('#/clerk', server.url).href);
  const opt = await clerk.page.locator('#clerk-meeting option', { hasText: MEETING }).getAttribute('value');
  await clerk.page.getByLabel('Meeting', { exact: true }).selectOption(opt);
  await clerk.page.getByLabel('Answer to Q2', { exact: true }).fill('Victims are contacted within 24 hours; 60% get a named investigator.');
  await clerk.page.getByLabel('Recording time of the answer to Q2').fill('01:20:24');
  await clerk.page.getByRole('button', { name: 'Record the answer to Q2' }).click();
  await clerk.page.getByText('Answered at 01:20:24').waitFor();
  await clerk.page.getByLabel('Action', { exact: true }).fill('PCC to report back on fraud victim contact times');
  await clerk.page.getByLabel('Owner').fill('PCC');
  await clerk.page.getByRole('button', { name: 'Add action' }).click();
  await clerk.page.locator('.action-row', { hasText: 'fraud victim contact times' }).waitFor();
  await waitForHeader(clerk.page, 'Synced', 0);
  await shot(clerk.page, 'workflow-6-clerk-answers');

  await waitForPage(a.page, 'the answer reaching the member', (b) => [...document.querySelectorAll('.my-questions .question')]
    .some((e) => e.textContent.includes(b) && /answered at the meeting/.test(e.textContent)), qa);
  await a.page.locator('.open-actions', { hasText: 'fraud victim contact times' }).waitFor();
  await waitForQuestions(c.page, [qa, qc, ql]).catch(async () => {
    await openMeeting(c.page, MEETING);
    await waitForQuestions(c.page, [qa, qc, ql]);
  });
  await shot(a.page, 'workflow-7-member-outcome');
});
