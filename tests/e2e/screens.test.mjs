// Each main screen at both tablet sizes (820x1180 portrait, 1180x820
// landscape): axe-core finds no serious or critical violation, touch targets
// are at least 44 px, and a screenshot goes to tests/e2e/artifacts/. Also: the
// whole drafting path by keyboard alone with a visible focus ring, and the
// PWA's installability as Chromium judges it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  TABLET_LANDSCAPE, TABLET_PORTRAIT, assertAccessible, draft, draftingMembers, launchBrowser, smallTargets,
  openFirstItem, openMeeting, openTablet, shot, signIn, uniqueText, waitForHeader, waitForPage, waitForStored,
} from './browser.mjs';
import { PacklineServer } from './server.mjs';

let server;
let browser;
before(async () => {
  server = await PacklineServer.start('screens');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function check(page, screen) {
  await assertAccessible(page, screen);
  assert.deepEqual(await smallTargets(page), [], `${page.tabletName}: touch targets under 44 px on ${screen}`);
  await shot(page, `screens-${page.tabletName}-${screen}`);
}

for (const [orientation, viewport] of [['portrait', TABLET_PORTRAIT], ['landscape', TABLET_LANDSCAPE]]) {
  test(`main screens in ${orientation} (${viewport.width}x${viewport.height}): accessible, large targets, screenshots`, async () => {
    const { context, page } = await openTablet(browser, server.url, { name: orientation, viewport });
    const [member] = await draftingMembers(page);
    await check(page, '1-sign-in');

    await signIn(page, member.name, { meeting: false });
    await waitForHeader(page, 'Synced', 0);
    await page.locator('.meeting-card').first().waitFor();
    await check(page, '2-meetings');
    await openMeeting(page);
    await check(page, '2-meeting');

    await openFirstItem(page);
    await draft(page, uniqueText('What is the force doing to cut 101 waiting times?'));
    await waitForHeader(page, 'Synced', 0);
    await check(page, '3-item-with-draft');

    // The refusal of an empty draft, in plain words.
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.locator('#question-error').waitFor();
    await check(page, '4-draft-refused');

    await context.setOffline(true);
    await waitForHeader(page, 'Offline', 0);
    await draft(page, uniqueText('Drafted offline: when will the estates review report?'));
    await waitForHeader(page, 'Offline', 1);
    await check(page, '5-offline-pending');
    await context.setOffline(false);
    await waitForHeader(page, 'Synced', 0);
    await context.close();
  });
}

test('keyboard only: sign in, choose an item and save a draft; the focus is always visible', async () => {
  const { context, page } = await openTablet(browser, server.url, { name: 'keyboard', viewport: TABLET_LANDSCAPE });
  const [member] = await draftingMembers(page);
  // What has the focus, and whether it is drawn: an outline of 2 px or more.
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    const s = e ? getComputedStyle(e) : null;
    return {
      text: (e?.textContent ?? '').trim(),
      tag: e?.tagName.toLowerCase(),
      id: e?.id,
      ring: !!s && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    };
  });
  async function tabTo(match, max = 40) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      if (match(f)) {
        assert.ok(f.ring, `the focus ring is visible on ${f.tag} "${f.text.slice(0, 40)}"`);
        return f;
      }
    }
    throw new Error('Tab never reached the element');
  }

  const skip = await tabTo(() => true, 1);
  assert.equal(skip.text, 'Skip to content', 'the first Tab stop is the skip link');
  await tabTo((f) => f.text === `Sign in as ${member.name}`);
  await page.keyboard.press('Enter');
  await waitForPage(page, 'signed in', (n) => document.querySelector('#who')?.textContent?.includes(n), member.name);
  await tabTo((f) => f.tag === 'a' && f.text === 'Agenda and questions');
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Agenda' }).waitFor();

  await tabTo((f) => f.tag === 'button' && f.text.startsWith('1'));
  await page.keyboard.press('Enter');
  // Choosing an item moves the focus to its heading, so a screen reader reads it.
  await waitForPage(page, 'the item heading to take the focus', () => document.activeElement?.id === 'item-title');
  await tabTo((f) => f.id === 'question-body');
  const body = uniqueText('Typed without a mouse: how are hate crime reports followed up?');
  await page.keyboard.type(body);
  await tabTo((f) => f.text === 'Save draft');
  await shot(page, 'screens-keyboard-focus-on-save');
  await page.keyboard.press('Enter');
  await page.getByText('Draft saved on this tablet.').waitFor();
  await waitForPage(page, 'the draft in the list', (b) =>
    [...document.querySelectorAll('.question .body')].some((e) => e.textContent === b), body);
  await waitForStored(page);
  await context.close();
});
