// The first screen before the WASM core has arrived: on a first visit the open
// panel's sign-in screen with "Getting the app ready…" and nothing to press;
// on a return visit the member list the last start showed (an open panel's
// names and roles only), disabled until the core is ready; once signed in,
// only the note. The WASM response is held back to look at that moment.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TABLET_PORTRAIT, axeViolations, demoMembers, launchBrowser, shot, signIn, waitForPage } from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('first-screen');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// Holds the core's WASM back until release() is called.
// `requested` resolves once the page has asked for it.
async function holdCore(page) {
  let release, asked;
  const released = new Promise((r) => { release = r; });
  const requested = new Promise((r) => { asked = r; });
  await page.route('**/packline_core.wasm', async (route) => {
    asked();
    await released;
    await route.continue();
  });
  return { release: () => release(), requested };
}

const note = (page) => page.getByRole('status').filter({ hasText: 'Getting the app ready…' });
const record = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('packline-first-screen') ?? 'null'));

test('first screen: drawn before the core, nothing pressable until it is ready, names only of an open panel', async () => {
  // No service worker: every start fetches the WASM, so it can be held back.
  const context = await browser.newContext({ viewport: TABLET_PORTRAIT, hasTouch: true, locale: 'en-GB', serviceWorkers: 'block' });
  const page = await context.newPage();
  page.tabletName = 'first-screen';
  page.log = [];
  page.on('pageerror', (e) => page.log.push(`[pageerror] ${e.message}`));

  // First visit: the open panel's sign-in screen, its buttons disabled.
  let held = await holdCore(page);
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Who is using this tablet?' }).waitFor();
  await note(page).waitFor();
  await held.requested;  // the screen stays while the core is on its way
  assert.equal(await page.getByRole('button', { name: /^Sign in as / }).count(), 0, 'no names are known on a first visit');
  assert.ok(await page.getByRole('button', { name: 'Join with an invite code' }).isDisabled());
  assert.ok(await page.getByRole('button', { name: 'Set up a new secured panel' }).isDisabled());
  assert.deepEqual(await axeViolations(page), []);
  await shot(page, 'first-screen-1-first-visit-before-core');
  held.release();
  const members = await demoMembers(page);
  assert.ok(members.length >= 2);
  assert.equal(await note(page).count(), 0, 'the note goes once the core is ready');
  assert.ok(await page.getByRole('button', { name: 'Join with an invite code' }).isEnabled());

  // What is kept for the next start: the names and roles on that screen, nothing else.
  const kept = await record(page);
  assert.deepEqual(Object.keys(kept).sort(), ['members', 'screen']);
  assert.equal(kept.screen, 'signin');
  assert.deepEqual(kept.members.map((m) => m.name), members.map((m) => m.name));
  for (const m of kept.members) assert.deepEqual(Object.keys(m).sort(), ['name', 'role']);

  // Return visit, not signed in: the same list at once, disabled until the core is ready.
  await page.unrouteAll();
  held = await holdCore(page);
  await page.reload();
  await note(page).waitFor();
  await held.requested;
  const early = page.getByRole('button', { name: `Sign in as ${members[0].name}`, exact: true });
  await early.waitFor();
  assert.ok(await early.isDisabled());
  assert.equal(await page.getByRole('button', { name: /^Sign in as / }).count(), members.length);
  assert.deepEqual(await axeViolations(page), []);
  await shot(page, 'first-screen-2-return-visit-before-core');
  // A tap before the core is ready does nothing (the button is disabled).
  await early.dispatchEvent('click');
  assert.equal(await page.locator('#who').textContent(), '');
  held.release();
  await waitForPage(page, 'the sign-in list to be usable',
    () => !document.querySelector('.member-list button')?.disabled && !document.querySelector('#signin-note'));
  await signIn(page, members[0].name, { meeting: false });

  // Signed in: no names are drawn before the core, only the note.
  assert.deepEqual(await record(page), { screen: 'other' });
  await page.unrouteAll();
  held = await holdCore(page);
  await page.reload();
  await note(page).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Sign in as / }).count(), 0);
  await shot(page, 'first-screen-3-signed-in-before-core');
  held.release();
  await waitForPage(page, 'signed in again after the core loaded',
    (n) => document.querySelector('#who')?.textContent?.includes(n), members[0].name);
  await context.close();
});
