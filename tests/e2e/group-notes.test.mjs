// Notes shared with one priority's leads, in real Chromium through the real
// server, on two tablets of a secured panel (the clerk works from the CLI):
// - "Leads of <priority>" is offered only on a tablet that holds the
//   leads' key (a lead's), never to another member;
// - a lead's group note is not on the other member's tablet;
// - made a lead later, that member's tablet shows the earlier note plainly
//   as "Shared with the leads of <priority>" (its key was never theirs) and
//   reads the notes shared after;
// - a lead who leaves neither lists nor is offered the group any more.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test as nodeTest } from 'node:test';
import {
  TABLET_PORTRAIT, assertAccessible, closeProfileTablets, launchBrowser, openProfileTablet, shot, waitForPage,
} from './browser.mjs';
import { packText, withoutPacks } from './packs.mjs';
import { PacklineServer, repoRoot } from './server.mjs';

const test = (name, fn) => nodeTest(name, { skip: withoutPacks }, fn);
const MEETING = '10 December 2020';
const run = Math.random().toString(36).slice(2, 8);
const clerkDir = mkdtempSync(join(tmpdir(), 'packline-groups-clerk-'));
const profiles = [mkdtempSync(join(tmpdir(), 'packline-groups-a-')), mkdtempSync(join(tmpdir(), 'packline-groups-b-'))];
let server;
let browser;
let priority = { id: '', title: '' };
const members = {};
const tablets = {};

function cli(...args) {
  return execFileSync(join(repoRoot, 'build/cli/packline'), ['--data', clerkDir, ...args], {
    encoding: 'utf8', env: { ...process.env, PACKLINE_PASSPHRASE: 'clerk passphrase words' },
  });
}

async function synced(page) {
  await waitForPage(page, 'synced', () => document.querySelector('#conn')?.textContent === 'Synced', null, 30_000);
}

// The reader at the monitoring report (item 5), by the app's own links (a
// page load would lock a secured tablet until its passphrase is typed).
async function openReader(page) {
  await page.evaluate(() => { location.hash = '#/'; });
  await page.locator('.meeting-card', { hasText: MEETING }).first().getByRole('link', { name: 'Agenda and questions' }).click();
  await page.getByRole('navigation', { name: 'Agenda' }).waitFor();
  await page.getByRole('link', { name: 'Read the pack' }).click();
  await page.getByRole('link', { name: /POLICE AND CRIME PLAN MONITORING REPORT/ }).click();
  await waitForPage(page, 'item 5', () => /^5\. /.test(document.querySelector('#reader-item-title')?.textContent ?? ''));
}

// ...with a paragraph's opening words selected.
async function selectIn(page, nth) {
  await openReader(page);
  await page.evaluate(() => new Promise((resolve) => {
    document.getSelection().removeAllRanges();  // a selection equal to the last one would not be news
    setTimeout(resolve, 100);
  }));
  const ok = await page.evaluate((k) => {
    const ps = [...document.querySelectorAll('.pack-text .block-paragraph')].filter((e) => e.textContent.length > 80);
    const el = ps[k];
    const n = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
    el.scrollIntoView({ block: 'center' });
    const r = document.createRange();
    r.setStart(n, 0);
    r.setEnd(n, Math.min(30, n.textContent.length));
    document.getSelection().removeAllRanges();
    document.getSelection().addRange(r);
    return true;
  }, nth);
  assert.ok(ok);
  await page.getByRole('region', { name: 'Selected text' }).waitFor();
}

const choices = (page) => page.locator('#annotation-visibility option').allTextContents();

async function note(page, nth, body) {
  await selectIn(page, nth);
  await page.getByLabel('Who sees it').selectOption({ label: `Leads of ${priority.title}` });
  await page.getByLabel('Note (optional)').fill(body);
  await page.getByRole('button', { name: 'Save highlight or note' }).click();
  await page.locator('.annotations .annotation', { hasText: body }).waitFor();
}

before(async () => {
  server = await PacklineServer.start('group-notes');
  browser = await launchBrowser();
});
after(async () => {
  await closeProfileTablets();
  await browser?.close();
  await server?.stop();
  for (const d of [clerkDir, ...profiles]) rmSync(d, { recursive: true, force: true });
});

test('group notes: only the leads are offered and read them; a new lead sees plainly what was shared before', async () => {
  cli('found', '--server', `ws://127.0.0.1:${server.port}`, '--name', 'Dana Whitfield');
  const pack = join(clerkDir, 'pack.txt');
  writeFileSync(pack, packText());
  cli('import', pack, '--add-priorities');
  const codes = { lead: cli('invite', 'Cllr Amir Lead', 'member').trim(), other: cli('invite', 'Cllr Beth Other', 'member').trim() };
  cli('sync');
  const line = cli('priorities').split('\n').find((l) => l.trim());
  assert.ok(line, 'the import added the plan’s priorities');
  priority = { id: line.split(/\s+/)[0], title: line.split(/\s{2,}/)[2] };
  for (const [i, who] of ['lead', 'other'].entries()) {
    const t = await openProfileTablet(profiles[i], null, { name: who, viewport: TABLET_PORTRAIT });
    await t.page.goto(server.url + '#/join');
    await t.page.getByLabel('Invite code').fill(codes[who]);
    await t.page.getByLabel('Choose a passphrase').fill('granite willow harbour seven');
    await t.page.getByLabel('Type the passphrase again').fill('granite willow harbour seven');
    await t.page.getByRole('button', { name: 'Join the panel' }).click();
    await synced(t.page);
    tablets[who] = t.page;
  }
  cli('sync');
  for (const l of cli('members').split('\n')) {
    if (l.includes('Amir Lead')) members.lead = l.split(' ')[0];
    if (l.includes('Beth Other')) members.other = l.split(' ')[0];
  }
  cli('leads', priority.id, members.lead);
  cli('sync');
  const { lead, other } = tablets;
  await synced(lead);
  await synced(other);

  // Offered to the lead only.
  await selectIn(lead, 0);
  await waitForPage(lead, 'the group offered', (t) => [...document.querySelectorAll('#annotation-visibility option')]
    .some((o) => o.textContent === `Leads of ${t}`), priority.title, 30_000);
  assert.deepEqual(await choices(lead), ['Only me', `Leads of ${priority.title}`, 'The whole panel']);
  await selectIn(other, 0);
  assert.deepEqual(await choices(other), ['Only me', 'The whole panel']);
  await shot(other, 'group-notes-1-member-not-offered');

  const first = `Ask about farm watch ${run}`;
  await note(lead, 0, first);
  assert.match(await lead.locator('.annotation', { hasText: first }).locator('.meta').textContent(),
    new RegExp(`seen by: the leads of ${priority.title}`));
  await assertAccessible(lead, 'reader with a group note');
  await lead.locator('.annotations .annotation', { hasText: first }).scrollIntoViewIfNeeded();
  await shot(lead, 'group-notes-2-lead-note');
  await synced(lead);
  await synced(other);
  await openReader(other);
  assert.equal(await other.locator('.annotations .annotation').count(), 0, 'the group note is not on another member’s tablet');

  // Made a lead later: the earlier note is said plainly; later ones read.
  cli('sync');
  cli('leads', priority.id, `${members.lead},${members.other}`);
  cli('sync');
  await synced(other);
  await selectIn(other, 1);
  const locked = other.locator('.annotation.locked');
  await locked.waitFor({ timeout: 30_000 });
  assert.equal((await locked.locator('.note-body').textContent()), `Shared with the leads of ${priority.title}`);
  assert.equal(await other.evaluate((t) => document.body.innerText.includes(t), first), false);
  assert.deepEqual(await choices(other), ['Only me', `Leads of ${priority.title}`, 'The whole panel']);
  await assertAccessible(other, 'reader with a note it cannot open');
  await locked.scrollIntoViewIfNeeded();
  await shot(other, 'group-notes-3-new-lead-earlier-note');
  await synced(lead);
  const second = `Rural burglary trend ${run}`;
  await note(lead, 1, second);
  await synced(lead);
  await openReader(other);
  const later = other.locator('.annotations .annotation', { hasText: second });
  await later.waitFor({ timeout: 30_000 });
  await later.scrollIntoViewIfNeeded();
  await shot(other, 'group-notes-4-new-lead-reads-later-note');

  // The first lead leaves: no longer offered, and a later note is not theirs.
  cli('sync');
  cli('leads', priority.id, members.other);
  cli('sync');
  await synced(other);
  const third = `After the change of leads ${run}`;
  await note(other, 2, third);
  await synced(other);
  await synced(lead);
  await selectIn(lead, 2);
  assert.deepEqual(await choices(lead), ['Only me', 'The whole panel']);
  assert.equal(await lead.evaluate((t) => document.body.innerText.includes(t), third), false);
  await shot(lead, 'group-notes-5-former-lead');
});
