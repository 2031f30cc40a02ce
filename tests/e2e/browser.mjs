// Browser side of the end-to-end tests: the system Chromium driven by
// playwright-core (installed in webapp/node_modules; no browser downloads), one
// fresh context per simulated tablet, and waits that fail with what the page
// showed instead.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { PacklineServer, artifacts, repoRoot } from './server.mjs';

const require = createRequire(join(repoRoot, 'webapp', 'package.json'));
const { chromium } = require('playwright-core');

export const TABLET_PORTRAIT = { width: 820, height: 1180 };
export const TABLET_LANDSCAPE = { width: 1180, height: 820 };
const WAIT_MS = 20_000;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

// Profile tablets still open: each is a browser process that would keep the
// test file running if a failed test left it open.
const openProfiles = new Set();
export async function closeProfileTablets() {
  await Promise.all([...openProfiles].map((c) => c.close().catch(() => {})));
}

// A tablet with an on-disk profile (not incognito, as browser.newContext() is),
// for what Chromium only allows there, such as installing the app; and for
// cold starts that reopen the same profile. close() closes the browser too.
export async function openProfileTablet(profileDir, url, { name, viewport = TABLET_PORTRAIT, offline = false } = {}) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS,
    viewport, hasTouch: true, locale: 'en-GB', offline,
  });
  openProfiles.add(context);
  context.on('close', () => openProfiles.delete(context));
  const page = context.pages()[0] ?? await context.newPage();
  page.log = [];
  page.on('console', (m) => page.log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.log.push(`[pageerror] ${e.message}`));
  page.tabletName = name ?? 'tablet';
  if (url) await page.goto(url);
  return { context, page };
}

// A tablet: its own context (own storage, service worker, network state).
export async function openTablet(browser, url, { name, viewport = TABLET_PORTRAIT } = {}) {
  const context = await browser.newContext({ viewport, hasTouch: true, locale: 'en-GB' });
  const page = await context.newPage();
  page.log = [];
  page.on('console', (m) => page.log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.log.push(`[pageerror] ${e.message}`));
  page.tabletName = name ?? 'tablet';
  await page.goto(url);
  return { context, page };
}

export async function header(page) {
  return page.evaluate(() => ({
    conn: document.querySelector('#conn')?.textContent ?? '',
    pending: document.querySelector('#pending')?.textContent ?? '',
  }));
}

// Waits until the page's state satisfies fn (run in the page), or throws with
// the header, the visible text and the console log.
export async function waitForPage(page, what, fn, arg, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    const h = await header(page).catch(() => ({}));
    const text = await page.evaluate(() => document.body.innerText).catch(() => '(page gone)');
    await shot(page, `fail-${page.tabletName}-${what.replace(/\W+/g, '-')}`).catch(() => {});
    throw new Error(`${page.tabletName}: timed out waiting for ${what}; header ${JSON.stringify(h)}\n` +
      `--- page text ---\n${text.slice(0, 3000)}\n--- console ---\n${page.log.slice(-30).join('\n')}\n${e.message}`);
  }
}

export function waitForHeader(page, conn, pending, timeout) {
  return waitForPage(page, `header "${conn} · ${pending} pending"`, ([c, p]) =>
    document.querySelector('#conn')?.textContent === c
    && document.querySelector('#pending')?.textContent === `${p} pending`, [conn, pending], timeout);
}

// The replica on disk is up to date (the app sets <html data-stored>), so a
// reload shows exactly what the page shows now.
export function waitForStored(page, timeout) {
  return waitForPage(page, 'the replica to be stored',
    () => document.documentElement.dataset.stored === 'true', undefined, timeout);
}

// Every given text is in the "All questions in this meeting" region.
export function waitForQuestions(page, bodies, timeout) {
  return waitForPage(page, `questions ${JSON.stringify(bodies)}`, (bs) => {
    const region = [...document.querySelectorAll('section')]
      .find((s) => s.querySelector('h2')?.textContent === 'All questions in this meeting');
    if (!region) return false;
    const shown = [...region.querySelectorAll('.question .body')].map((e) => e.textContent);
    return bs.every((b) => shown.includes(b));
  }, bodies, timeout);
}

// The questions listed in the meeting-wide region: [{body, author}].
export function listedQuestions(page) {
  return page.getByRole('region', { name: 'All questions in this meeting' })
    .locator('.question')
    .evaluateAll((els) => els.map((e) => ({
      body: e.querySelector('.body')?.textContent ?? '',
      author: e.querySelector('.author')?.textContent ?? '',
    })));
}

// The demo members offered on the sign-in screen: [{name, role}].
// (The screen drawn before the core shows the same list with its buttons
// disabled, and is replaced once the core is ready: wait for the app's own.)
export async function demoMembers(page) {
  let members = [];
  await waitForPage(page, 'the sign-in list, ready', () => {
    const lis = [...document.querySelectorAll('.member-list li')];
    return lis.length > 0 && lis.every((li) => li.querySelector('button') && !li.querySelector('button').disabled);
  });
  for (let attempt = 0; members.length === 0 && attempt < 10; attempt++) {
    if (attempt) await page.waitForTimeout(100);
    members = await page.locator('.member-list li').evaluateAll((lis) => lis.map((li) => ({
      name: (li.querySelector('button')?.textContent ?? '').replace(/^Sign in as /, ''),
      role: li.querySelector('.role')?.textContent ?? '',
    })));
  }
  return members;
}

// Members who draft questions (not the clerk or officers), in sign-in order.
export async function draftingMembers(page) {
  const all = await demoMembers(page);
  const drafting = all.filter((m) => !/clerk|officer/i.test(m.role));
  return drafting.length >= 2 ? drafting : all;
}

// Signs in, then (unless meeting is false) opens the next meeting's agenda.
export async function signIn(page, name, { meeting = true } = {}) {
  await page.getByRole('button', { name: `Sign in as ${name}`, exact: true }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await waitForPage(page, `signed in as ${name}`,
    (n) => document.querySelector('#who')?.textContent?.includes(n), name);
  if (meeting) await openMeeting(page);
}

// From the meetings list: the agenda and questions of the first upcoming meeting
// (or of the meeting whose title includes `title`).
// Joins a secured panel on the join screen with an invite code and a new
// passphrase, then waits until `name` is signed in and the tablet synced.
export async function joinPanel(page, code, passphrase, name) {
  await page.getByRole('heading', { name: 'Join your panel' }).waitFor();
  await page.getByLabel('Invite code').fill(code);
  await page.getByLabel('Choose a passphrase').fill(passphrase);
  await page.getByLabel('Type the passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Join the panel' }).click();
  await waitForPage(page, 'signed in', (n) => document.querySelector('#who')?.textContent?.includes(n), name, 30_000);
  await waitForPage(page, 'synced', () => document.querySelector('#conn')?.textContent === 'Synced', null, 30_000);
}

export async function openMeeting(page, title) {
  await page.goto(new URL('#/', page.url()).href);
  const card = title
    ? page.locator('.meeting-card', { hasText: title }).first()
    : page.locator('.meeting-card').first();
  await card.getByRole('link', { name: 'Agenda and questions' }).click({ timeout: WAIT_MS });
  await page.getByRole('navigation', { name: 'Agenda' }).waitFor();
}

// Opens the first agenda item and returns its title.
export async function openFirstItem(page) {
  const agenda = page.getByRole('navigation', { name: 'Agenda' });
  const first = agenda.getByRole('button').first();
  await first.waitFor({ timeout: WAIT_MS });
  await first.click();
  await page.getByLabel('Your question').waitFor();
  return (await page.locator('#item-title').textContent()) ?? '';
}

export async function draft(page, body) {
  await page.getByLabel('Your question').fill(body);
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.getByText('Draft saved on this tablet.').waitFor({ timeout: WAIT_MS });
}

// A draft is its author's own until submitted: this submits it (offline too),
// so other members' tablets list it.
export async function submitDraft(page, body) {
  await page.getByRole('button', { name: `Submit to the chair: ${body.slice(0, 60)}` }).click();
  await page.locator(`.my-questions li.question`, { hasText: body }).locator('.q-status-submitted').waitFor({ timeout: WAIT_MS });
}

// A screenshot of the viewport once scrolling has settled (smooth scrolls to
// a chosen item would otherwise be caught halfway).
export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.evaluate(() => new Promise((resolve) => {
    let last = -1;
    let still = 0;
    const tick = () => {
      const y = window.scrollY;
      still = y === last ? still + 1 : 0;
      last = y;
      if (still >= 3) resolve();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    setTimeout(resolve, 2000);
  })).catch(() => {});
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

export function uniqueText(prefix) {
  return `${prefix} (${Math.random().toString(36).slice(2, 8)})`;
}

// axe-core (webapp devDependency) run in the page: the violations of impact
// serious or critical, WCAG 2.1 A/AA plus best practices, as plain lines.
const axeSource = require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated through the DevTools protocol: an inline <script> would be
    // (rightly) refused by the app's Content-Security-Policy.
    await page.evaluate(axeSource);
  }
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    resultTypes: ['violations'],
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${v.help} — ${n.target.join(' ')} ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`));
}

// Asserts axe finds nothing serious or critical on the current screen.
export async function assertAccessible(page, screen) {
  const v = await axeViolations(page);
  if (v.length) throw new Error(`${page.tabletName}: accessibility violations on ${screen}:\n${v.join('\n')}`);
}

// Visible buttons, links and form fields smaller than 44x44 CSS px.
export function smallTargets(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, a[href], input, select, textarea, [role=button]')]
    .filter((e) => {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || e.closest('[hidden]')) return false;
      if (e.classList.contains('skip-link')) return false;
      // A checkbox's target includes its label (a tap on either toggles it).
      const big = (x) => x.width >= 44 && x.height >= 44;
      if ((e.type === 'checkbox' || e.type === 'radio') && [...(e.labels ?? [])].some((l) => big(l.getBoundingClientRect()))) return false;
      return !big(r);
    })
    .map((e) => `${e.tagName.toLowerCase()} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)}" ${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`));
}

// A test file's real server and browser (started before its tests, stopped
// after them), and its tablets: `tablet(name, member)` opens one signed in as
// that member, kept by name in `byName`; all are closed at the end.
export function panelSession(serverName) {
  const session = { server: null, browser: null, byName: {} };
  before(async () => {
    session.server = await PacklineServer.start(serverName);
    session.browser = await launchBrowser();
  });
  after(async () => {
    for (const t of Object.values(session.byName)) await t.context.close().catch(() => {});
    await session.browser?.close();
    await session.server?.stop();
  });
  session.tablet = async (name, member, viewport = TABLET_LANDSCAPE) => {
    const t = await openTablet(session.browser, session.server.url, { name, viewport });
    session.byName[name] = t;
    await signIn(t.page, member, { meeting: false });
    return t;
  };
  return session;
}
