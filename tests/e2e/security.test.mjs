// Secured panels in the browser, through the real server, at tablet sizes:
// - the clerk sets up a secured panel on a tablet (passphrase with a strength
//   hint), publishes a pack and invites a member; the app asks for persistent
//   storage and says whether it got it;
// - a new tablet (its own browser profile) joins with the invite, types a
//   question draft and a note; the invite cannot be used twice, and an
//   expired one is refused, both in plain words;
// - a cold offline start asks for the passphrase: a wrong one is refused in
//   plain words, the right one opens; a tampered stored copy is reported and
//   the last good copy opened;
// - afterwards neither the server's data folder nor either browser profile
//   holds what was typed (with controls showing the search finds what is there).
// Also measures Argon2id (the at-rest key derivation) in this Chromium.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test as nodeTest } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, assertAccessible, closeProfileTablets, draft, submitDraft, launchBrowser, openFirstItem,
  openMeeting, openProfileTablet, openTablet, shot, waitForHeader, waitForPage, waitForStored,
} from './browser.mjs';
import { packText, withoutPacks } from './packs.mjs';

// Built on the real packs of ../shared/packs: every test is skipped, by name, without them.
const test = (name, fn) => nodeTest(name, { skip: withoutPacks }, fn);
import { PacklineServer, artifacts } from './server.mjs';

const run = Math.random().toString(36).slice(2, 8);
const CLERK = 'Dana Whitfield';
// The invited member's name, typed by the clerk, is content too.
const MEMBER = `Cllr Jo Bennettvq${run}`;
const MEETING = '10 December 2020';
const PASSPHRASE = 'harbour lantern copper meadow';
const MEMBER_PASSPHRASE = 'orchard violin basalt tuesday';
const WRONG_TEXT = 'That passphrase doesn’t open this tablet’s copy. Try again.';
// What members type; none may reach the server's or the browser's disk in clear.
const Q_MARKER = `QMARKERzq${run}Wy: how many officers were redeployed?`;
const N_MARKER = `NMARKERxv${run}Kj: ask for the figures behind this`;
// ...and so is the pack the clerk published (a heading of its item 8; the
// open demo panel's own sample pack, in clear by design, does not have it).
const MARKERS = [`QMARKERzq${run}Wy`, `NMARKERxv${run}Kj`, `Bennettvq${run}`, 'HEALTH AND WELLBEING STRATEGY'];
// Put in clear on purpose (localStorage), so the profile search is shown to work.
const CONTROL = `CONTROLMARKERpk${run}Fe`;

let server;
let browser;
let clerk;
let member;
let code = '';
let memberDevice = '';
const profiles = { clerk: mkdtempSync(join(tmpdir(), 'packline-sec-clerk-')), member: mkdtempSync(join(tmpdir(), 'packline-sec-member-')) };

before(async () => {
  server = await PacklineServer.start('security');
  browser = await launchBrowser();
});
after(async () => {
  await closeProfileTablets();
  await browser?.close();
  await server?.stop();
  for (const d of Object.values(profiles)) rmSync(d, { recursive: true, force: true });
});

// Records calls of navigator.storage.persist() made by the page.
function recordPersist() {
  const orig = StorageManager.prototype.persist;
  StorageManager.prototype.persist = function persist() {
    window.__persistCalls = (window.__persistCalls ?? 0) + 1;
    return orig.call(this);
  };
}

async function profileTablet(name, hash, viewport, offline = false) {
  const t = await openProfileTablet(profiles[name], null, { name, viewport, offline });
  await t.context.addInitScript(recordPersist);
  await t.page.goto(server.url + hash);
  return t;
}

// Axe and a screenshot at both tablet sizes, ending in `viewport`.
async function checkScreen(page, screen, file, viewport = TABLET_PORTRAIT) {
  for (const [size, vp] of [['portrait', TABLET_PORTRAIT], ['landscape', TABLET_LANDSCAPE]]) {
    await page.setViewportSize(vp);
    await assertAccessible(page, `${screen} (${size})`);
    await shot(page, `${file}-${size}`);
  }
  await page.setViewportSize(viewport);
}

async function signedInAs(page, name, timeout = 30_000) {
  await waitForPage(page, `signed in as ${name}`,
    (n) => document.querySelector('#who')?.textContent?.includes(n), name, timeout);
}

function allFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return allFiles(p);
    return e.isFile() ? [p] : [];
  });
}

// Which of the needles (strings or Buffers) occur in the bytes of any file under dir.
function findInDir(dir, needles) {
  const found = new Map();
  let bytes = 0;
  for (const f of allFiles(dir)) {
    let b;
    try {
      b = readFileSync(f);
    } catch {
      continue; // a socket or a file that went away
    }
    bytes += b.length;
    for (const n of needles) {
      const key = typeof n === 'string' ? n : n.toString('hex');
      if (b.includes(typeof n === 'string' ? Buffer.from(n, 'utf8') : n)) found.set(key, [...(found.get(key) ?? []), f.slice(dir.length)]);
    }
  }
  return { found, bytes };
}

test('security: the clerk sets up a secured panel with a passphrase, publishes a pack and invites a member', async () => {
  clerk = await profileTablet('clerk', '#/new-panel', TABLET_LANDSCAPE);
  const { page } = clerk;
  await page.getByRole('heading', { name: 'Set up a new secured panel' }).waitFor();
  // Persistent storage is asked for at start, and the answer is shown.
  await waitForPage(page, 'the storage state', () => document.querySelector('#storage-state')?.dataset.persistent !== undefined);
  assert.ok(await page.evaluate(() => window.__persistCalls) >= 1, 'navigator.storage.persist() was called');
  assert.match(await page.locator('#storage-state').textContent(), /^Storage on this tablet: /);

  await page.getByLabel('Your name').fill(CLERK);
  await page.getByLabel('Choose a passphrase').fill('short');
  assert.match(await page.locator('#passphrase-strength').textContent(), /^Too short/);
  await page.getByLabel('Type the passphrase again').fill('short');
  await page.getByRole('button', { name: 'Set up the panel' }).click();
  assert.match(await page.locator('#found-error').textContent(), /too short/);
  await page.getByLabel('Choose a passphrase').fill(PASSPHRASE);
  assert.equal(await page.locator('#passphrase-strength').textContent(), 'Strong passphrase.');
  await page.getByLabel('Type the passphrase again').fill(`${PASSPHRASE}x`);
  await page.getByRole('button', { name: 'Set up the panel' }).click();
  assert.match(await page.locator('#found-error').textContent(), /not the same/);
  await page.getByLabel('Type the passphrase again').fill(PASSPHRASE);
  await checkScreen(page, 'new secured panel', 'security-1-new-panel', TABLET_LANDSCAPE);
  await page.getByRole('button', { name: 'Set up the panel' }).click();
  await signedInAs(page, CLERK);
  await waitForHeader(page, 'Synced', 0);

  await page.getByRole('link', { name: 'Clerk' }).click();
  await page.getByRole('heading', { name: 'Publish a pack' }).waitFor();
  await page.getByLabel('Pack file').setInputFiles({ name: 'agenda-pack-2020-12-10.txt', mimeType: 'text/plain', buffer: Buffer.from(packText()) });
  await page.locator('#preview-count').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Publish this pack' }).click();
  await page.locator('#import-result').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#import-result').textContent(), /^Published version 1/);

  await page.getByLabel('Name', { exact: true }).fill(MEMBER);
  await page.getByLabel('Role', { exact: true }).selectOption('member');
  await page.getByRole('button', { name: 'Create invite' }).click();
  await page.locator('#invite-code-out').waitFor({ state: 'attached' });
  code = (await page.locator('#invite-code-out').inputValue()).trim();
  assert.match(code, /^[0-9a-f]{96}$/);
  assert.match(await page.locator('#invite-result').textContent(), new RegExp(`^Invite for ${MEMBER} \\(Panel member\\): one use, valid until`));
  await page.locator('#invite-result').scrollIntoViewIfNeeded();
  await checkScreen(page, 'clerk invite', 'security-2-clerk-invite', TABLET_LANDSCAPE);
  await waitForHeader(page, 'Synced', 0);
});

test('security: a new tablet joins with the invite and drafts; a used or expired invite is refused in plain words', async () => {
  member = await profileTablet('member', '#/join', TABLET_PORTRAIT);
  const { page } = member;
  await page.getByRole('heading', { name: 'Join your panel' }).waitFor();
  await page.getByLabel('Invite code').fill(code);
  await page.getByLabel('Choose a passphrase').fill(MEMBER_PASSPHRASE);
  await page.getByLabel('Type the passphrase again').fill(MEMBER_PASSPHRASE);
  await checkScreen(page, 'join', 'security-3-join');
  await page.getByRole('button', { name: 'Join the panel' }).click();
  await signedInAs(page, MEMBER);
  await waitForHeader(page, 'Synced', 0);
  memberDevice = await page.evaluate(() => document.querySelector('#footer').dataset.device);
  assert.equal(await page.getByRole('button', { name: 'Switch member' }).count(), 0, 'a secured tablet acts for its own member only');
  // What the next start draws before the core names no one on a secured panel.
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('packline-first-screen'))), { screen: 'other' });

  // A question draft and a note, typed by the member.
  await waitForPage(page, 'the published meeting', (m) => document.body.innerText.includes(m), MEETING);
  await openMeeting(page, MEETING);
  await openFirstItem(page);
  await draft(page, Q_MARKER);
  // Unsubmitted, a draft is its author's own (sealed to them): the clerk's
  // tablet lists a draft submitted after it, but not this one.
  const later = `A later question, submitted at once ${run}`;
  await draft(page, later);
  await submitDraft(page, later);
  await waitForHeader(page, 'Synced', 0);
  await openMeeting(clerk.page, MEETING);
  await waitForPage(clerk.page, 'the later draft on the clerk’s tablet', (q) => document.body.innerText.includes(q), later);
  assert.equal(await clerk.page.evaluate((q) => document.body.innerText.includes(q), Q_MARKER), false,
    'the unsubmitted draft is not on the clerk’s tablet');
  await submitDraft(page, Q_MARKER);
  await page.getByRole('link', { name: 'Read the pack' }).click();
  await page.locator('.pack-text [data-block]').first().waitFor();
  const selected = await page.evaluate(() => {
    const el = [...document.querySelectorAll('.pack-text .block-paragraph')].find((e) => e.textContent.length > 80);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const n = walker.nextNode();
    el.scrollIntoView({ block: 'center' });
    const r = document.createRange();
    r.setStart(n, 0);
    r.setEnd(n, Math.min(40, n.textContent.length));
    getSelection().removeAllRanges();
    getSelection().addRange(r);
    return true;
  });
  assert.ok(selected);
  await page.getByRole('region', { name: 'Selected text' }).waitFor();
  await page.getByLabel('Who sees it').selectOption('panel');
  await page.getByLabel('Note (optional)').fill(N_MARKER);
  await page.getByRole('button', { name: 'Save highlight or note' }).click();
  await page.locator('.annotations .annotation', { hasText: N_MARKER }).waitFor();
  await waitForHeader(page, 'Synced', 0);
  await waitForStored(page);

  // The clerk's tablet decrypts what the member wrote.
  await openMeeting(clerk.page, MEETING);
  await waitForPage(clerk.page, 'the member’s draft on the clerk’s tablet', (q) => document.body.innerText.includes(q), Q_MARKER);

  // The same invite again, on another new tablet: one that opened the demo
  // panel first and follows its "Join with an invite code".
  const thief = await openTablet(browser, server.url, { name: 'second-device' });
  try {
    await thief.page.getByRole('button', { name: 'Join with an invite code' }).click();
    await thief.page.getByRole('heading', { name: 'Join your panel' }).waitFor();
    assert.match(await thief.page.locator('main').textContent(), /The data already on this tablet is kept aside/);
    await thief.page.getByLabel('Invite code').fill(code);
    await thief.page.getByLabel('Choose a passphrase').fill(MEMBER_PASSPHRASE);
    await thief.page.getByLabel('Type the passphrase again').fill(MEMBER_PASSPHRASE);
    await thief.page.getByRole('button', { name: 'Join the panel' }).click();
    await waitForPage(thief.page, 'the used invite to be refused',
      () => /already been used/.test(document.querySelector('#join-error')?.textContent ?? ''), undefined, 30_000);
    assert.equal(await thief.page.locator('#join-error').textContent(),
      'This invite has already been used. Each invite works once: ask the clerk for a new one.');
    await shot(thief.page, 'security-4-join-used-invite');

    // Argon2id as the app runs it (createClient + setPassphrase) in this Chromium.
    const kdf = await thief.page.evaluate(async () => {
      const url = new URL('core/packline_core.mjs', document.baseURI).href;
      const core = await (await import(url)).default({ locateFile: (p) => new URL(p, url).href });
      const times = [];
      for (let i = 0; i < 3; i++) {
        const c = core.createClient().client;
        const t0 = performance.now();
        const r = c.setPassphrase('a passphrase to time');
        times.push(performance.now() - t0);
        if (r.error) throw new Error(r.error.message);
        c.delete();
      }
      return { times, ua: navigator.userAgent };
    });
    const line = { bench: 'argon2id-chromium', ops: 3, mem_mib: 64, ms: kdf.times.map((t) => Math.round(t)), browser: kdf.ua.match(/Chrome\/[\d.]+/)?.[0] };
    writeFileSync(join(artifacts, 'security-argon2id.json'), `${JSON.stringify(line)}\n`);
    console.log(JSON.stringify(line));
  } finally {
    await thief.context.close();
  }

  // An invite made 8 days ago for 1 day has expired when it is redeemed. (The
  // app's time is the server's, carried on by the page's monotonic clock once
  // a welcome said it: both clocks go back.)
  await clerk.page.getByRole('link', { name: 'Clerk' }).click();
  await clerk.page.getByLabel('Name', { exact: true }).fill('Sam Okafor');
  await clerk.page.getByLabel('Valid for').selectOption('1');
  await clerk.page.evaluate(() => {
    const back = 8 * 24 * 3600 * 1000;
    window.__realNow = Date.now;
    window.__realPerf = performance.now.bind(performance);
    Date.now = () => window.__realNow() - back;
    performance.now = () => window.__realPerf() - back;
  });
  await clerk.page.getByRole('button', { name: 'Create invite' }).click();
  await clerk.page.locator('#invite-result', { hasText: 'Sam Okafor' }).waitFor();
  await clerk.page.evaluate(() => {
    Date.now = window.__realNow;
    performance.now = window.__realPerf;
  });
  const stale = (await clerk.page.locator('#invite-code-out').inputValue()).trim();
  await waitForHeader(clerk.page, 'Synced', 0);
  const late = await openTablet(browser, `${server.url}#/join`, { name: 'late-device' });
  try {
    await late.page.getByLabel('Invite code').fill(stale);
    await late.page.getByLabel('Choose a passphrase').fill(MEMBER_PASSPHRASE);
    await late.page.getByLabel('Type the passphrase again').fill(MEMBER_PASSPHRASE);
    await late.page.getByRole('button', { name: 'Join the panel' }).click();
    await waitForPage(late.page, 'the expired invite to be refused',
      () => /expired/.test(document.querySelector('#join-error')?.textContent ?? ''), undefined, 30_000);
    assert.equal(await late.page.locator('#join-error').textContent(), 'This invite has expired. Ask the clerk for a new one.');
  } finally {
    await late.context.close();
  }

  // Ready for a cold offline start: the service worker has the app shell.
  await waitForPage(page, 'the service worker', () => navigator.serviceWorker?.controller !== null
    && document.querySelector('#footer')?.dataset.offlineReady === 'true');
  await waitForStored(page);
  await member.context.close();
});

test('security: a cold offline start asks for the passphrase; wrong then right; a tampered copy falls back to the last good one', async () => {
  member = await profileTablet('member', '', TABLET_PORTRAIT, true);
  const { page } = member;
  await page.getByRole('heading', { name: 'Unlock Packline on this tablet' }).waitFor();
  await page.getByLabel('Passphrase').fill('not my passphrase at all');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await waitForPage(page, 'the wrong passphrase to be refused',
    () => (document.querySelector('#unlock-error')?.textContent ?? '') !== '');
  assert.equal(await page.locator('#unlock-error').textContent(), WRONG_TEXT);
  await checkScreen(page, 'unlock, wrong passphrase', 'security-5-unlock-wrong');

  await page.getByLabel('Passphrase').fill(MEMBER_PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await signedInAs(page, MEMBER);
  await waitForHeader(page, 'Offline', 0);
  await openMeeting(page, MEETING);
  await waitForPage(page, 'the draft after unlocking offline', (q) => document.body.innerText.includes(q), Q_MARKER);
  await waitForStored(page);

  // Alter one byte of the stored copy while the tablet is locked.
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock Packline on this tablet' }).waitFor();
  const tampered = await page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('packline', 1);
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const tx = r.result.transaction('replica', 'readwrite');
      const os = tx.objectStore('replica');
      const g = os.get('current');
      g.onsuccess = () => {
        const b = new Uint8Array(g.result);
        b[200] ^= 0x5a;
        os.put(b, 'current');
      };
      tx.oncomplete = () => resolve(true);
      tx.onerror = () => reject(tx.error);
    };
  }));
  assert.ok(tampered);
  await page.reload();
  await page.getByLabel('Passphrase').fill(MEMBER_PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await signedInAs(page, MEMBER);
  const banner = await page.locator('#banner').textContent();
  assert.match(banner, /damaged or altered/);
  assert.match(banner, /opened the last good copy/);
  await assertAccessible(page, 'last good copy opened');
  await shot(page, 'security-6-tampered-last-good');
  const keys = await page.evaluate(() => new Promise((resolve) => {
    const r = indexedDB.open('packline', 1);
    r.onsuccess = () => {
      const q = r.result.transaction('replica').objectStore('replica').getAllKeys();
      q.onsuccess = () => resolve(q.result);
    };
  }));
  assert.ok(keys.some((k) => String(k).startsWith('unreadable-')), `the damaged copy is kept aside: ${keys}`);
  await openMeeting(page, MEETING);
  await waitForPage(page, 'the draft from the last good copy', (q) => document.body.innerText.includes(q), Q_MARKER);

  // Control for the profile search below: this one is put on disk in clear.
  await page.evaluate((c) => localStorage.setItem('control', c), CONTROL);
  await waitForStored(page);
  await member.context.close();
});

test('security: neither the server’s data folder nor the browser profiles hold what members typed', async () => {
  await clerk.context.close();
  await server.kill();
  // Control (server): the member's device key is stored in clear in the
  // envelope headers, so a search of the data folder finds it.
  const srv = findInDir(server.dataDir, [...MARKERS, Buffer.from(memberDevice, 'hex')]);
  assert.ok(srv.bytes > 10_000, `the server stored data (${srv.bytes} bytes)`);
  assert.ok(srv.found.has(memberDevice), 'control: the search finds the member device id in the server data');
  for (const m of MARKERS) assert.ok(!srv.found.has(m), `server data holds "${m}" in ${srv.found.get(m)}`);

  for (const [name, dir] of Object.entries(profiles)) {
    const p = findInDir(dir, [...MARKERS, CONTROL, 'PLR2']);
    assert.ok(statSync(dir).isDirectory() && p.bytes > 100_000, `${name} profile on disk (${p.bytes} bytes)`);
    assert.ok(p.found.has('PLR2'), `control: the sealed replica ("PLR2" header) is in the ${name} profile`);
    if (name === 'member') assert.ok(p.found.has(CONTROL), 'control: the search finds a string stored in clear by the page');
    for (const m of MARKERS) assert.ok(!p.found.has(m), `${name} profile holds "${m}" in ${p.found.get(m)}`);
  }
  // The server is needed no more; after() stops it.
});
