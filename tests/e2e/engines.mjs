// Tablets in the other engines members' tablets run (iPads are WebKit): WebKitGTK
// through Debian's WebKitWebDriver (W3C WebDriver, selenium-webdriver as the
// client, MiniBrowser in an Xvfb display of its own), and Firefox ESR through its
// built-in WebDriver BiDi (puppeteer-core, no geckodriver). Both give one small
// tablet interface, so a walk is written once for every engine.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, artifacts, repoRoot } from './server.mjs';

const require = createRequire(join(repoRoot, 'webapp', 'package.json'));

export const TABLET = { width: 820, height: 1180 };
const WAIT_MS = 20_000;
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

// Runs fn(arg) in the page; fn must be self-contained (it is sent as source).
const script = (fn) => `return (${fn.toString()})(arguments[0]);`;

// Marks the first element matching selector whose text (or aria-label)
// includes text, so the driver can click or type into it as a user would.
function mark([selector, text, id]) {
  const visible = (e) => e.getClientRects().length > 0 && !e.closest('[hidden]');
  const el = [...document.querySelectorAll(selector)]
    .find((e) => visible(e) && (!text || (e.textContent + ' ' + (e.getAttribute('aria-label') ?? '')).includes(text)));
  if (!el) return false;
  el.setAttribute('data-engine-target', id);
  el.scrollIntoView({ block: 'center' });
  return true;
}

let marks = 0;

// What every engine's tablet offers the walk.
class Tablet {
  constructor(engine, name) {
    this.engine = engine;
    this.name = name;
    // The page's console and uncaught errors, as lines. Firefox only: classic
    // WebDriver has no console, and WebKitGTK's automation windows do not
    // write it to MiniBrowser's output.
    this.log = [];
  }

  // Uncaught errors in the page so far, less the sync socket's failures to
  // connect while the server is down (Firefox reports them as page errors).
  pageErrors() {
    return this.log.filter((l) => /^\[pageerror\]/.test(l)
      && !/can’t establish a connection to the server at wss?:|WebSocket connection to .* failed/.test(l));
  }

  saveLog() {
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, `engines-${this.engine}-${this.name}.console.log`), this.log.join('\n') + '\n');
  }

  // Polls fn(arg) in the page until it is truthy; on time-out throws with the
  // page's text and keeps a screenshot.
  async waitFor(what, fn, arg, timeout = WAIT_MS) {
    this.step(`wait for ${what}`);
    await this.toFront();
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        if (await this.eval(fn, arg)) return;
      } catch (e) {
        last = e; // the page is navigating or reloading
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const text = await this.eval(() => document.body?.innerText ?? '').catch(() => '(page gone)');
    await this.shot(`fail-${what.replace(/\W+/g, '-')}`).catch(() => {});
    throw new Error(`${this.engine} ${this.name}: timed out waiting for ${what}\n--- page text ---\n${String(text).slice(0, 2000)}` +
      (last ? `\n--- last error ---\n${last.message}` : ''));
  }

  // The tablet in use is the browser's foreground page (a background page's
  // timers and frames are throttled).
  async toFront() {}

  // A line on stderr per step, with the time since the tablet opened.
  step(what) {
    this.started ??= Date.now();
    process.stderr.write(`# ${this.engine} ${this.name} +${((Date.now() - this.started) / 1000).toFixed(1)}s ${what}\n`);
  }

  // Clicks the first visible selector match whose text includes text; again
  // if the page re-rendered it between finding and clicking (sync traffic
  // redraws lists).
  async click(selector, text) {
    this.step(`click ${selector} ${text ?? ''}`);
    for (let attempt = 1; ; attempt++) {
      const id = `t${++marks}`;
      await this.waitFor(`${selector} "${text ?? ''}"`, mark, [selector, text, id]);
      try {
        await this.clickMarked(`[data-engine-target="${id}"]`);
        return;
      } catch (e) {
        if (attempt >= 5 || !/no element found|no such element|stale|detached|was not found/i.test(`${e.name} ${e.message}`)) throw e;
      }
    }
  }

  async type(selector, text) {
    this.step(`type into ${selector}`);
    const id = `t${++marks}`;
    await this.waitFor(`field ${selector}`, mark, [selector, '', id]);
    await this.typeMarked(`[data-engine-target="${id}"]`, text);
  }

  async shot(name) {
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, `engines-${this.engine}-${name}.png`);
    writeFileSync(path, await this.png());
    return path;
  }

  waitForHeader(conn, pending, timeout) {
    return this.waitFor(`header "${conn} · ${pending} pending"`, ([c, p]) =>
      document.querySelector('#conn')?.textContent === c
      && document.querySelector('#pending')?.textContent === `${p} pending`, [conn, pending], timeout);
  }
}

// Firefox ESR over WebDriver BiDi: one browser, a user context per tablet
// (own storage, service worker and cookies), the one in use brought to the
// front: Firefox throttles a background tab's timers more at each use.
class FirefoxTablet extends Tablet {
  constructor(name, page, browserState) {
    super('firefox', name);
    this.page = page;
    this.browserState = browserState;
  }
  async toFront() {
    if (this.browserState.front === this) return;
    await this.page.bringToFront();
    this.browserState.front = this;
  }
  async goto(url) { await this.toFront(); return this.page.goto(url); }
  async reload() { await this.toFront(); return this.page.reload(); }
  eval(fn, arg) { return this.page.evaluate(fn, arg); }
  async clickMarked(sel) { await this.toFront(); await this.page.click(sel); }
  async typeMarked(sel, text) {
    await this.toFront();
    await this.page.$eval(sel, (e) => { e.value = ''; });
    await this.page.type(sel, text);
  }
  async png() { await this.toFront(); return Buffer.from(await this.page.screenshot()); }
}

export async function launchFirefox() {
  if (!existsSync(FIREFOX)) throw new Error(`Firefox not found at ${FIREFOX} (scripts/setup.sh installs firefox-esr)`);
  const puppeteer = require('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX, headless: true,
    extraPrefsFirefox: { 'intl.locale.requested': 'en-GB', 'intl.accept_languages': 'en-GB' },
  });
  const state = { front: null };
  return {
    engine: 'firefox',
    version: await browser.version(),
    async open(name) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(TABLET);
      state.front = null;
      const t = new FirefoxTablet(name, page, state);
      page.on('console', (m) => t.log.push(`[${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => t.log.push(`[pageerror] ${e.message}`));
      return t;
    },
    close: () => browser.close(),
  };
}

// WebKitGTK over W3C WebDriver: each tablet is its own MiniBrowser session
// (own ephemeral storage), two side by side in a private Xvfb display.
class WebKitTablet extends Tablet {
  constructor(name, driver, By) {
    super('webkit', name);
    this.driver = driver;
    this.By = By;
  }
  goto(url) { return this.driver.get(url); }
  reload() { return this.driver.navigate().refresh(); }
  eval(fn, arg) { return this.driver.executeScript(script(fn), arg); }
  async clickMarked(sel) { await this.driver.findElement(this.By.css(sel)).click(); }
  async typeMarked(sel, text) {
    const el = await this.driver.findElement(this.By.css(sel));
    await el.clear();
    await el.sendKeys(text);
  }
  async png() { return Buffer.from(await this.driver.takeScreenshot(), 'base64'); }
}

// Xvfb on a free display, wide enough for two tablets side by side (it
// writes the display number it took on fd 3).
function spawnXvfb() {
  return new Promise((resolve, reject) => {
    const p = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${2 * TABLET.width + 40}x${TABLET.height + 100}x24`, '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err}`)));
    p.stdio[3].on('data', (d) => resolve({ proc: p, display: `:${String(d).trim()}` }));
  });
}

// WebKitWebDriver drives one session: a driver process per tablet.
async function startWebKitDriver(display) {
  const port = await freePort();
  const proc = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, DISPLAY: display },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/status`)).ok) return { proc, url };
    } catch {
      if (i > 100) { proc.kill(); throw new Error('WebKitWebDriver did not start'); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function launchWebKit() {
  for (const f of [WEBKIT_DRIVER, MINIBROWSER]) {
    if (!existsSync(f)) throw new Error(`${f} not found (scripts/setup.sh installs webkit2gtk-driver)`);
  }
  const { Builder, By } = require('selenium-webdriver');
  const xvfb = await spawnXvfb();
  const open = [];  // [{ driver process, session }]
  return {
    engine: 'webkit',
    version: '',
    async open(name) {
      const drv = await startWebKitDriver(xvfb.display);
      const entry = { proc: drv.proc, session: null };
      open.push(entry);
      entry.session = await new Builder().usingServer(drv.url).withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      }).build();
      // Side by side, never covering each other: WebKit stops painting a covered
      // view, and its screenshots would show an old frame. The page gets the
      // window's height less the toolbar's.
      const x = (open.length - 1) * (TABLET.width + 20);
      await entry.session.manage().window().setRect({ x, y: 0, width: TABLET.width, height: TABLET.height });
      this.version = (await entry.session.getCapabilities()).get('browserVersion');
      return new WebKitTablet(name, entry.session, By);
    },
    async close() {
      for (const e of open) {
        await e.session?.quit().catch(() => {});
        e.proc.kill();
      }
      xvfb.proc.removeAllListeners('exit');
      xvfb.proc.kill();
    },
  };
}
