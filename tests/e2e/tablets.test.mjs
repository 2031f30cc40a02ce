// The clerk's tablets desk in real Chromium through the real server, at
// tablet sizes, with three tablets of a secured panel:
// - the clerk invites by link: the link carries the code after '#', so no
//   request the tablet makes holds it; the second tablet opens the link, the
//   join screen has the code filled in and drops it from the address, and it
//   joins; the clerk sees that tablet, with its last change, and the invite used;
// - the clerk revokes that tablet (after cancelling once): the server refuses
//   it, and it says so in plain words;
// - a third tablet joins by typing the code (the fallback); the clerk removes
//   its member: a new key epoch, and nothing the panel writes afterwards
//   reaches that tablet;
// - an expired invite and an open one are shown as such.
import assert from 'node:assert/strict';
import { after, before, test as nodeTest } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, assertAccessible, draft, launchBrowser, openFirstItem, openMeeting, openTablet, shot,
  waitForHeader, waitForPage,
} from './browser.mjs';
import { packText, withoutPacks } from './packs.mjs';
import { PacklineServer } from './server.mjs';

// The clerk publishes a real pack of ../shared/packs: skipped, by name, without them.
const test = (name, fn) => nodeTest(name, { skip: withoutPacks }, fn);

const CLERK = 'Dana Whitfield';
const RUTH = 'Cllr Ruth Amari';
const SAM = 'Cllr Sam Okafor';
const MEETING = '10 December 2020';
const PASSPHRASE = 'harbour lantern copper meadow';
const MEMBER_PASSPHRASE = 'orchard violin basalt tuesday';

let server;
let browser;
let clerk;
let ruth;
let sam;

before(async () => {
  server = await PacklineServer.start('tablets');
  browser = await launchBrowser();
});
after(async () => {
  for (const t of [clerk, ruth, sam]) await t?.context.close();
  await browser?.close();
  await server?.stop();
});

async function signedInAs(page, name) {
  await waitForPage(page, `signed in as ${name}`, (n) => document.querySelector('#who')?.textContent?.includes(n), name, 30_000);
}

// The clerk's invite for `name`: {link, code}, with the link's QR code drawn.
async function invite(page, name, days = '7') {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Role', { exact: true }).selectOption('member');
  await page.getByLabel('Valid for').selectOption(days);
  await page.getByRole('button', { name: 'Create invite' }).click();
  await page.locator('#invite-result', { hasText: name }).waitFor();
  const link = await page.locator('#invite-link-out').inputValue();
  const code = (await page.locator('#invite-code-out').inputValue()).trim();
  return { link, code };
}

async function join(page, passphrase) {
  await page.getByLabel('Choose a passphrase').fill(passphrase);
  await page.getByLabel('Type the passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Join the panel' }).click();
}

async function addAction(page, text) {
  await page.getByLabel('Action', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Add action' }).click();
  await page.locator('.action-row', { hasText: text }).waitFor();
  await waitForHeader(page, 'Synced', 0);
}

const tabletRow = (page, device) => page.locator(`#member-tablets [data-device="${device}"]`);
const deviceOf = (page) => page.evaluate(() => document.querySelector('#footer').dataset.device);

test('tablets: the clerk invites by link; the tablet that opens it joins with the code filled in', async () => {
  clerk = await openTablet(browser, `${server.url}#/new-panel`, { name: 'clerk', viewport: TABLET_LANDSCAPE });
  const { page } = clerk;
  await page.getByLabel('Your name').fill(CLERK);
  await page.getByLabel('Choose a passphrase').fill(PASSPHRASE);
  await page.getByLabel('Type the passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Set up the panel' }).click();
  await signedInAs(page, CLERK);
  await waitForHeader(page, 'Synced', 0);
  await page.getByRole('link', { name: 'Clerk' }).click();
  await page.locator('#member-tablets').waitFor();
  await page.getByLabel('Pack file').setInputFiles({ name: 'agenda-pack-2020-12-10.txt', mimeType: 'text/plain', buffer: Buffer.from(packText()) });
  await page.locator('#preview-count').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor({ timeout: 30_000 });
  // The clerk's own tablet, which cannot be revoked from itself.
  const me = await deviceOf(page);
  assert.match(await tabletRow(page, me).textContent(), /This tablet/);
  assert.equal(await tabletRow(page, me).getByRole('button').count(), 0);

  const { link, code } = await invite(page, RUTH);
  assert.match(code, /^[0-9a-f]{96}$/);
  assert.equal(link, `${server.url}#/join/${code}`);
  // The QR code of the link is drawn (a canvas of dark and light modules).
  const qr = await page.locator('#invite-qr canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
    return { w: c.width, label: c.getAttribute('aria-label'), dark: dark / (d.length / 4) };
  });
  assert.ok(qr.w >= 150, `QR canvas ${qr.w}px`);
  assert.ok(qr.dark > 0.2 && qr.dark < 0.6, `QR dark share ${qr.dark}`);
  assert.equal(qr.label, `QR code of the invite link for ${RUTH}`);
  // The code to type is there only behind "Show the code".
  assert.equal(await page.locator('#invite-code-out').isVisible(), false);
  assert.equal(await page.locator(`#invite-list [data-status="open"]`, { hasText: RUTH }).count(), 1);
  await waitForHeader(page, 'Synced', 0);
  await page.locator('#invite-result').scrollIntoViewIfNeeded();
  for (const [size, vp] of [['portrait', TABLET_PORTRAIT], ['landscape', TABLET_LANDSCAPE]]) {
    await page.setViewportSize(vp);
    await assertAccessible(page, `invite link (${size})`);
    await shot(page, `tablets-1-invite-link-${size}`);
  }

  // Ruth's tablet opens the link.
  ruth = await openTablet(browser, 'about:blank', { name: 'ruth' });
  const requests = [];
  ruth.page.on('request', (r) => requests.push(r.url()));
  await ruth.page.goto(link);
  await ruth.page.getByRole('heading', { name: 'Join your panel' }).waitFor();
  assert.equal(await ruth.page.getByLabel('Invite code').inputValue(), code);
  assert.equal(await ruth.page.evaluate(() => location.hash), '#/join');
  assert.match(await ruth.page.locator('#invite-code-hint').textContent(), /^Filled in from the clerk’s invite link/);
  await shot(ruth.page, 'tablets-2-join-from-link');
  await join(ruth.page, MEMBER_PASSPHRASE);
  await signedInAs(ruth.page, RUTH);
  await waitForHeader(ruth.page, 'Synced', 0);
  assert.equal(requests.filter((u) => u.includes(code)).length, 0, 'no request carries the invite code');
  assert.ok(!(await ruth.page.evaluate(() => location.href)).includes(code));

  // The clerk sees Ruth's tablet and the invite used by it; once Ruth has
  // drafted a question, the tablet's last change is seen just now.
  const device = await deviceOf(ruth.page);
  await waitForPage(page, 'Ruth’s tablet on the clerk’s desk', (d) => !!document.querySelector(`#member-tablets [data-device="${d}"]`), device, 30_000);
  assert.match(await tabletRow(page, device).textContent(), new RegExp(`^Tablet ${device.slice(0, 8)} · joined .*No change seen from it yet`));
  await openMeeting(ruth.page, MEETING);
  await openFirstItem(ruth.page);
  await draft(ruth.page, 'How many officers were redeployed this quarter?');
  await waitForHeader(ruth.page, 'Synced', 0);
  await waitForPage(page, 'Ruth’s change seen', (d) => /Last change seen just now/.test(
    document.querySelector(`#member-tablets [data-device="${d}"]`)?.textContent ?? ''), device, 30_000);
  const used = page.locator('#invite-list [data-status="used"]', { hasText: RUTH });
  await used.waitFor();
  assert.match(await used.textContent(), new RegExp(`used .* by tablet ${device.slice(0, 8)}$`));
});

test('tablets: the clerk revokes a lost tablet after confirming; the tablet is refused and says so', async () => {
  const { page } = clerk;
  const device = await deviceOf(ruth.page);
  const revoke = page.getByRole('button', { name: `Revoke tablet ${device.slice(0, 8)} of ${RUTH}` });
  await revoke.click();
  const dialog = page.getByRole('dialog', { name: `Revoke tablet ${device.slice(0, 8)}?` });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /The server refuses it from now on/);
  await page.setViewportSize(TABLET_PORTRAIT);
  await assertAccessible(page, 'revoke confirmation');
  await shot(page, 'tablets-3-revoke-confirm');
  // Cancel changes nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await dialog.isVisible(), false);
  assert.match(await tabletRow(page, device).textContent(), /Last change seen/);
  await revoke.click();
  await dialog.getByRole('button', { name: 'Revoke the tablet' }).click();
  await waitForPage(page, 'the tablet shown revoked', (d) => /Revoked: the server refuses it/.test(
    document.querySelector(`#member-tablets [data-device="${d}"]`)?.textContent ?? ''), device);
  await waitForHeader(page, 'Synced', 0);
  await shot(page, 'tablets-4-revoked');

  // Ruth's tablet, on its next connection, is refused and told why.
  await ruth.page.reload();
  await ruth.page.getByLabel('Passphrase').fill(MEMBER_PASSPHRASE);
  await ruth.page.getByRole('button', { name: 'Unlock' }).click();
  await waitForPage(ruth.page, 'the refusal banner', () => /taken this tablet off the panel/.test(document.querySelector('#banner')?.textContent ?? ''), undefined, 30_000);
  assert.match(await ruth.page.locator('#banner').textContent(),
    /^The clerk has taken this tablet off the panel \(a lost tablet, or a member who has left\), so it can no longer send or receive the panel’s work\./);
  await waitForPage(ruth.page, 'the header to say so', () => document.querySelector('#conn')?.textContent === 'Refused by the server');
  await shot(ruth.page, 'tablets-5-revoked-tablet');
});

test('tablets: the clerk removes a member; their tablet gets nothing the panel writes afterwards', async () => {
  const { page } = clerk;
  await page.setViewportSize(TABLET_LANDSCAPE);
  const { code } = await invite(page, SAM);
  await waitForHeader(page, 'Synced', 0);
  // Sam types the code: the fallback.
  sam = await openTablet(browser, `${server.url}#/join`, { name: 'sam' });
  await sam.page.getByRole('heading', { name: 'Join your panel' }).waitFor();
  assert.match(await sam.page.locator('#invite-code-hint').textContent(), /Open the invite link the clerk sent you/);
  await sam.page.getByLabel('Invite code').fill(code);
  await join(sam.page, MEMBER_PASSPHRASE);
  await signedInAs(sam.page, SAM);
  await waitForHeader(sam.page, 'Synced', 0);
  const device = await deviceOf(sam.page);
  await waitForPage(page, 'Sam’s tablet on the clerk’s desk', (d) => !!document.querySelector(`#member-tablets [data-device="${d}"]`), device, 30_000);
  // Before the removal, what the clerk writes reaches Sam: an action on the meeting.
  const openActions = (p) => p.locator('.meeting-card .open-actions').first().textContent();
  await addAction(page, 'Before the removal');
  await waitForPage(sam.page, 'the action on Sam’s tablet',
    () => document.querySelector('.meeting-card .open-actions')?.textContent === 'Open actions: 1', undefined, 30_000);

  const row = page.locator(`#member-tablets [data-member]`, { hasText: SAM });
  await row.getByRole('button', { name: `Remove from panel: ${SAM}` }).click();
  const dialog = page.getByRole('dialog', { name: `Remove ${SAM} from the panel?` });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Their tablet is refused by the server from now on/);
  await shot(page, 'tablets-6-remove-confirm');
  await dialog.getByRole('button', { name: 'Remove from the panel' }).click();
  await waitForPage(page, 'Sam shown removed', (n) => [...document.querySelectorAll('#member-tablets [data-member]')]
    .some((li) => li.textContent.includes(n) && li.textContent.includes('Removed from the panel')), SAM);
  assert.match(await tabletRow(page, device).textContent(), /Refused: its member was removed/);
  await waitForHeader(page, 'Synced', 0);

  // After the removal the clerk writes again; Sam's tablet is refused and gets none of it.
  await addAction(page, 'After the removal');
  await waitForHeader(page, 'Synced', 0);
  await sam.page.reload();
  await sam.page.getByLabel('Passphrase').fill(MEMBER_PASSPHRASE);
  await sam.page.getByRole('button', { name: 'Unlock' }).click();
  await waitForPage(sam.page, 'the refusal banner', () => /taken this tablet off the panel/.test(document.querySelector('#banner')?.textContent ?? ''), undefined, 30_000);
  assert.equal(await openActions(sam.page), 'Open actions: 1');
  await page.getByRole('link', { name: 'Meetings' }).click();
  assert.equal(await openActions(page), 'Open actions: 2');
  await page.getByRole('link', { name: 'Clerk' }).click();
  await shot(sam.page, 'tablets-7-removed-member');
});

test('tablets: an expired invite and an open one are shown as such', async () => {
  const { page } = clerk;
  // An invite made 8 days ago for 1 day (the page's clocks moved back while it is made).
  await page.evaluate(() => {
    const back = 8 * 24 * 3600 * 1000;
    window.__realNow = Date.now;
    window.__realPerf = performance.now.bind(performance);
    Date.now = () => window.__realNow() - back;
    performance.now = () => window.__realPerf() - back;
  });
  await invite(page, 'Cllr Late Comer', '1');
  await page.evaluate(() => {
    Date.now = window.__realNow;
    performance.now = window.__realPerf;
  });
  await invite(page, 'Cllr Not Yet', '14');
  await waitForHeader(page, 'Synced', 0);
  const status = (name) => page.locator('#invite-list [data-invite]', { hasText: name });
  await waitForPage(page, 'the expired invite', () => [...document.querySelectorAll('#invite-list [data-status="expired"]')]
    .some((li) => li.textContent.includes('Cllr Late Comer')));
  assert.match(await status('Cllr Late Comer').textContent(), /: expired .*, never used$/);
  assert.match(await status('Cllr Not Yet').textContent(), /: open: not used yet, valid until .* \(13 days left\)$/);
  assert.match(await status(RUTH).textContent(), /: used /);
  assert.match(await status(SAM).textContent(), /: used /);
  await page.locator('#invite-list').scrollIntoViewIfNeeded();
  for (const [size, vp] of [['portrait', TABLET_PORTRAIT], ['landscape', TABLET_LANDSCAPE]]) {
    await page.setViewportSize(vp);
    await assertAccessible(page, `tablets desk (${size})`);
    await shot(page, `tablets-8-desk-${size}`);
  }
});

test('tablets: an invite made offline says it is not on the server yet, until the tablet has synced', async () => {
  const { page, context } = clerk;
  await context.setOffline(true);
  await waitForHeader(page, 'Offline', 0);
  await invite(page, 'Cllr Off Line', '7');
  const status = page.locator('#invite-list [data-invite]', { hasText: 'Cllr Off Line' });
  await waitForPage(page, 'the invite marked as not sent', () => [...document.querySelectorAll('#invite-list [data-invite]')]
    .some((li) => li.textContent.includes('Cllr Off Line') && li.textContent.includes('not yet on the server')));
  await shot(page, 'tablets-9-offline-invite');
  await context.setOffline(false);
  await waitForHeader(page, 'Synced', 0, 30_000);
  await waitForPage(page, 'the invite on the server', () => [...document.querySelectorAll('#invite-list [data-invite]')]
    .some((li) => li.textContent.includes('Cllr Off Line') && !li.textContent.includes('not yet on the server')), undefined, 30_000);
  assert.match(await status.textContent(), /: open: not used yet, valid until /);
});
