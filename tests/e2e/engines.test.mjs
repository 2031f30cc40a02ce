// The shared tablet walk in WebKit (WebKitGTK, as on iPads) and Firefox ESR,
// against the real server: two tablets of one engine at tablet size load the
// WASM core under the app's CSP, sign in to the demo panel, read the pack, draft
// and submit a question; with the server down the first tablet drafts again and
// restarts from its service worker; once the server is back the second tablet
// has both drafts. Then a secured panel: set up with a passphrase, an invite,
// a join on another tablet, a cold start unlocked with the passphrase, and a
// pack the clerk publishes (in the import worker) reaching the member.
// PACKLINE_ENGINES=webkit,firefox picks engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchFirefox, launchWebKit } from './engines.mjs';
import { PacklineServer } from './server.mjs';

const ENGINES = { webkit: launchWebKit, firefox: launchFirefox };
const wanted = (process.env.PACKLINE_ENGINES ?? 'webkit,firefox').split(',').filter(Boolean);
const WALK_MS = 180_000;

const PASSPHRASE = 'harbour lantern copper meadow';
const MEMBER_PASSPHRASE = 'orchard violin basalt tuesday';
// A small agenda pack the clerk publishes in the secured panel.
const PACK = `Eastvale Police and Crime Panel

Date: Thursday, 11 March 2027
Time: 10.00 am
Venue: Council Chamber, Eastvale

A G E N D A

1 APOLOGIES

To receive any apologies for absence.

2 BUDGET MONITORING REPORT

To receive the Commissioner's report on the budget.
`;
const uniqueText = (p) => `${p} (${Math.random().toString(36).slice(2, 8)})`;

// The first upcoming meeting's pack, then its agenda, the first item, a saved
// and submitted draft.
async function readPackAndDraft(t, body) {
  await t.click('.meeting-card a', 'Read the pack');
  await t.waitFor('the pack text', () => (document.querySelector('.pack-text')?.textContent ?? '').length > 200);
  await t.click('a', 'Agenda and questions');
  await t.click('nav.agenda-panel button');
  await draft(t, body);
}

async function draft(t, body) {
  await t.type('#question-body', body);
  await t.click('button', 'Save draft');
  await t.waitFor('the draft to be saved', () => document.querySelector('#question-saved')?.textContent === 'Draft saved on this tablet.');
  await t.click('button', `Submit to the chair: ${body.slice(0, 60)}`);
  await t.waitFor('the draft to be submitted', (b) => [...document.querySelectorAll('.my-questions li.question')]
    .some((li) => li.textContent.includes(b) && li.querySelector('.q-status-submitted')), body);
}

// From the meetings list, the first upcoming meeting's agenda and questions.
async function openMeeting(t) {
  await t.eval(() => { location.hash = '#/'; });
  await t.click('.meeting-card a', 'Agenda and questions');
}

// Scrolls the meeting-wide question list into view, for a screenshot.
const showQuestions = (t) => t.eval(() => [...document.querySelectorAll('section')]
  .find((s) => s.querySelector('h2')?.textContent === 'All questions in this meeting')
  ?.scrollIntoView({ block: 'start', behavior: 'instant' }));

const listed = (t) => t.eval(() => {
  const region = [...document.querySelectorAll('section')]
    .find((s) => s.querySelector('h2')?.textContent === 'All questions in this meeting');
  return region ? [...region.querySelectorAll('.question .body')].map((e) => e.textContent) : [];
});

function waitForQuestions(t, bodies) {
  return t.waitFor(`questions ${JSON.stringify(bodies)}`, (bs) => {
    const region = [...document.querySelectorAll('section')]
      .find((s) => s.querySelector('h2')?.textContent === 'All questions in this meeting');
    const shown = region ? [...region.querySelectorAll('.question .body')].map((e) => e.textContent) : [];
    return bs.every((b) => shown.includes(b));
  }, bodies);
}

for (const engine of wanted) {
  describe(`engine ${engine}`, () => {
    let server;
    let browser;
    const tablets = [];
    before(async () => {
      server = await PacklineServer.start(`engines-${engine}`);
      browser = await ENGINES[engine]();
    });
    after(async () => {
      for (const t of tablets) t.saveLog();
      await browser?.close();
      await server?.stop();
    });

    test(`${engine}: two tablets sign in, draft online and offline, restart offline from the service worker, and converge`,
      { timeout: WALK_MS }, async () => {
        // The app's CSP lets WebAssembly compile and nothing else be evaluated.
        const csp = (await fetch(server.url)).headers.get('content-security-policy') ?? '';
        assert.match(csp, /script-src[^;]*'wasm-unsafe-eval'/);
        assert.doesNotMatch(csp, /'unsafe-eval'/);

        const a = await browser.open('a');
        const b = await browser.open('b');
        tablets.push(a, b);
        a.step(`${engine} ${browser.version}`);
        for (const t of [a, b]) await t.goto(server.url);

        // The sign-in list comes from the WASM core's demo panel: the core loaded.
        await a.waitFor('the demo members', () => document.querySelectorAll('.member-list li button').length >= 2);
        const members = await a.eval(() => [...document.querySelectorAll('.member-list li')]
          .filter((li) => !/clerk|officer/i.test(li.querySelector('.role')?.textContent ?? ''))
          .map((li) => li.querySelector('button').textContent.replace(/^Sign in as /, '')));
        assert.ok(members.length >= 2, 'the demo panel offers two drafting members');
        // The footer says whether the tablet's storage is kept, also while the
        // browser waits for the member's answer to its persistence prompt (Firefox).
        await a.waitFor('the storage state', () => /^Storage on this tablet: /.test(document.querySelector('#storage-state')?.textContent ?? ''));
        const size = await a.eval(() => [innerWidth, innerHeight]);
        assert.equal(size[0], 820, 'the page is tablet-wide');
        await a.shot('1-sign-in');

        for (const [t, m] of [[a, members[0]], [b, members[1]]]) {
          await t.click('.member-list button', `Sign in as ${m}`);
          await t.waitFor(`signed in as ${m}`, (n) => document.querySelector('#who')?.textContent?.includes(n), m);
          await t.waitForHeader('Synced', 0);
        }
        const q1 = uniqueText(`How many officers were redeployed to neighbourhood teams? asks ${members[0]}`);
        await readPackAndDraft(a, q1);
        await a.waitForHeader('Synced', 0);
        await a.shot('2-drafted-online');

        // The service worker has precached the shell and controls the page.
        await a.waitFor('the service worker to control the page', () => navigator.serviceWorker?.controller != null
          && document.querySelector('#footer')?.dataset.offlineReady === 'true', undefined, 30_000);

        // Offline: the server is gone. The draft is kept and counted as pending.
        await server.kill();
        await a.waitFor('the header to say offline', () => document.querySelector('#conn')?.textContent !== 'Synced');
        const q2 = uniqueText(`Drafted offline: when will the estates review report? asks ${members[0]}`);
        await draft(a, q2);
        await a.waitFor('two changes pending', () => document.querySelector('#pending')?.textContent === '2 pending');
        await a.waitFor('the replica to be stored', () => document.documentElement.dataset.stored === 'true');
        // A cold start with no server: the service worker serves the app and the
        // stored replica holds both drafts.
        await a.reload();
        await a.waitFor('the app to start offline', () => navigator.serviceWorker?.controller != null
          && document.querySelector('#who')?.textContent?.length > 0
          && document.querySelector('#pending')?.textContent === '2 pending', undefined, 30_000);
        await openMeeting(a);
        await waitForQuestions(a, [q1, q2]);
        await showQuestions(a);
        await a.shot('3-offline-restart');

        // Back online: the offline draft is delivered and the other tablet has both.
        await server.launch();
        await a.waitForHeader('Synced', 0, 30_000);
        await openMeeting(b);
        await waitForQuestions(b, [q1, q2]);
        await b.waitForHeader('Synced', 0, 30_000);
        assert.deepEqual((await listed(b)).filter((x) => x === q1 || x === q2).sort(), [q1, q2].sort());
        await showQuestions(b);
        await b.shot('4-second-tablet-synced');
        for (const t of [a, b]) assert.deepEqual(t.pageErrors(), [], `${engine} ${t.name}: no uncaught error in the page`);
      });

    // The secured panel's crypto in this engine: Argon2id and the sealed copy
    // at rest, keys sealed to a joining device, the passphrase at a cold start.
    test(`${engine}: a clerk sets up a secured panel and invites; a second tablet joins, and reopens with its passphrase`,
      { timeout: WALK_MS }, async () => {
        const clerk = await browser.open('clerk');
        const member = await browser.open('member');
        tablets.push(clerk, member);
        await clerk.goto(`${server.url}#/new-panel`);
        await clerk.type('#founder-name', 'Dana Whitfield');
        await clerk.type('#passphrase', PASSPHRASE);
        await clerk.type('#passphrase-again', PASSPHRASE);
        await clerk.click('button', 'Set up the panel');
        await clerk.waitFor('the clerk signed in', () => document.querySelector('#who')?.textContent?.includes('Dana Whitfield'), undefined, 60_000);
        await clerk.waitForHeader('Synced', 0);
        await clerk.click('a', 'Clerk');
        await clerk.type('#invite-name', 'Cllr Jo Bennett');
        await clerk.click('button', 'Create invite');
        await clerk.waitFor('the invite code', () => /^[0-9a-f]{96}$/.test(document.querySelector('#invite-code-out')?.value.trim() ?? ''));
        const code = await clerk.eval(() => document.querySelector('#invite-code-out').value.trim());
        await clerk.shot('5-secured-invite');

        await member.goto(`${server.url}#/join`);
        await member.type('#invite-code', code);
        await member.type('#passphrase', MEMBER_PASSPHRASE);
        await member.type('#passphrase-again', MEMBER_PASSPHRASE);
        await member.click('button', 'Join the panel');
        await member.waitFor('the member signed in', () => document.querySelector('#who')?.textContent?.includes('Cllr Jo Bennett'), undefined, 60_000);
        await member.waitForHeader('Synced', 0);
        await member.waitFor('the replica to be stored', () => document.documentElement.dataset.stored === 'true');
        // A cold start opens the sealed copy only with the passphrase.
        await member.reload();
        await member.type('#unlock-passphrase', MEMBER_PASSPHRASE);
        await member.click('button', 'Unlock');
        await member.waitFor('the member signed in again', () => document.querySelector('#who')?.textContent?.includes('Cllr Jo Bennett'), undefined, 60_000);
        await member.waitForHeader('Synced', 0);
        await member.shot('6-secured-unlocked');

        // The clerk publishes a pack: in this engine's import worker, into a copy
        // of the sealed replica, taken back change by change; the member gets it.
        await clerk.eval((text) => {
          const input = document.querySelector('#pack-file');
          const files = new DataTransfer();
          files.items.add(new File([text], 'eastvale.txt', { type: 'text/plain' }));
          input.files = files.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }, PACK);
        await clerk.click('button', 'Publish this pack');
        await clerk.waitFor('the pack published', () => /^Published version 1: 2 items/.test(document.querySelector('#import-result')?.textContent ?? ''), undefined, 60_000);
        await clerk.waitForHeader('Synced', 0);
        await clerk.shot('7-secured-published');
        await member.eval(() => { location.hash = '#/'; });
        await member.waitFor('the published meeting', () => [...document.querySelectorAll('.meeting-card')]
          .some((c) => /11 March 2027/.test(c.textContent)), undefined, 60_000);
        for (const t of [clerk, member]) assert.deepEqual(t.pageErrors(), [], `${engine} ${t.name}: no uncaught error in the page`);
      });
  });
}
