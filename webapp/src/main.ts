// Boot: service worker, one tab owning the replica, the WASM core, the stored
// replica (or a new device), then the app. Every failure ends in a plain-words
// screen; stored bytes the core cannot read are kept, never overwritten.

import './styles.css';
import { App, showBanner } from './app';
import { CORRUPT_REPLICA, isError, loadCore, type Client, type Core, type CoreError } from './core';
import { byId, h, replaceChildren } from './dom';
import { drawBeforeCore } from './first-screen';
import { goToSetup, showFound, showJoin, showUnlock } from './setup';
import { ReplicaStore, describe, requestPersistentStorage, storagePersisted } from './store';

// No client: not started, and the number of pending changes is not known.
function pendingUnknown(): void {
  const conn = byId('conn');
  conn.textContent = 'Not started';
  conn.dataset.state = 'offline';
  const pending = byId('pending');
  pending.textContent = 'pending unknown';
  pending.dataset.count = '';
}

function fatal(title: string, ...lines: string[]): void {
  pendingUnknown();
  replaceChildren(byId('main'), h('section', { class: 'panel narrow', role: 'alert', 'aria-labelledby': 'fatal-title' },
    h('h1', { id: 'fatal-title' }, title),
    lines.map((l) => h('p', {}, l)),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, 'Try again')),
  ));
}

function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('./sw.js').then(
    (reg) => {
      offerUpdate(reg);
      return navigator.serviceWorker.ready.then(() => {
        byId('footer').dataset.offlineReady = 'true';
        byId('offline-state').textContent = 'Ready to work offline.';
      });
    },
    (e) => { byId('offline-state').textContent = `Offline use is not available: ${describe(e)}`; },
  );
}

// A new version of the app, fully downloaded, waits in the service worker. It
// is applied at the next start or when the member taps "Update now", never on
// its own: the page reloads only then, so nobody loses what they are typing.
function offerUpdate(reg: ServiceWorkerRegistration): void {
  const show = () => {
    const waiting = reg.waiting;
    if (!waiting || !navigator.serviceWorker.controller) return;
    const bar = byId('update-banner');
    const note = h('span', {}, 'A new version is ready. It is applied the next time Packline starts, or now.');
    const button = h('button', {
      type: 'button', id: 'update-now',
      onclick: () => {
        if (button.dataset.confirm !== 'true' && typingUnsaved()) {
          note.textContent = 'A new version is ready. Updating reloads the page: finish what you are typing first, or tap “Update anyway”.';
          button.textContent = 'Update anyway';
          button.dataset.confirm = 'true';
          return;
        }
        applyUpdate(waiting, () => {
          note.textContent = 'The new version will be used the next time Packline starts: close it and open it again.';
          button.remove();
        });
      },
    }, 'Update now');
    replaceChildren(bar, note, button);
    bar.hidden = false;
  };
  show();
  reg.addEventListener('updatefound', () => {
    const installing = reg.installing;
    installing?.addEventListener('statechange', () => { if (installing.state === 'installed') show(); });
  });
}

// Text typed into a field of the page and not yet saved (a field's saved text
// is its default value).
function typingUnsaved(): boolean {
  return [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('#main textarea, #main input:not([type]), #main input[type="text"]')]
    .some((el) => !el.readOnly && el.value.trim() !== '' && el.value !== el.defaultValue);
}

// The waiting version takes over; the page reloads on it. The browser may
// hold it back while this page was itself reloaded with a version waiting
// (Chromium): then `later` says it comes at the next start.
function applyUpdate(waiting: ServiceWorker, later: () => void): void {
  const slow = setTimeout(later, 3000);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    clearTimeout(slow);
    location.reload();
  }, { once: true });
  waiting.postMessage('packline-update-now');
}

// At start, before anything is shown: a version that waited is applied now.
// Resolves false when there is none (or it did not take over in time).
async function startOnWaitingVersion(): Promise<boolean> {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || !navigator.serviceWorker.controller) return false;
  const reg = await navigator.serviceWorker.getRegistration();
  if (!reg?.waiting) return false;
  const took = new Promise<boolean>((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
    setTimeout(() => resolve(false), 3000);
  });
  reg.waiting.postMessage('packline-update-now');
  if (!(await took)) return false;
  location.reload();
  return true;
}

// Two tabs on one replica would both sign changes with the same device key and
// sequence numbers; only one may run. Resolves once this tab holds the lock.
function holdReplicaLock(): Promise<void> {
  if (!navigator.locks) return Promise.resolve();
  return new Promise((resolve) => {
    const waiting = setTimeout(() => fatal('Packline is open elsewhere',
      'Packline is already open in another tab or window on this tablet. Close it, and this page will continue on its own.'), 800);
    void navigator.locks.request('packline-replica', () => {
      clearTimeout(waiting);
      resolve();
      return new Promise<void>(() => {}); // held for the page's lifetime
    });
  });
}

function unreadable(core: Core, store: ReplicaStore, bytes: Uint8Array, err: CoreError): void {
  pendingUnknown();
  const what = err.code === CORRUPT_REPLICA
    ? 'The Packline data stored on this tablet is damaged and could not be read.'
    : `The Packline data stored on this tablet could not be opened: ${err.message}.`;
  replaceChildren(byId('main'), h('section', { class: 'panel narrow', role: 'alert', 'aria-labelledby': 'corrupt-title' },
    h('h1', { id: 'corrupt-title' }, 'Your stored data could not be opened'),
    h('p', {}, what),
    h('p', {}, 'Nothing has been deleted. Anything that had already reached the server is safe there. Drafts made offline since the last sync are in the stored data, which is kept on this tablet.'),
    h('p', {}, 'You can try again, or set this tablet up afresh: the unreadable data is then kept aside on this tablet so it can be recovered later, and the panel’s data is fetched from the server again.'),
    h('p', { class: 'error', id: 'corrupt-error' }),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, 'Try again'),
      h('button', {
        type: 'button', onclick: async () => {
          try {
            await store.keepAside(bytes);
          } catch (e) {
            byId('corrupt-error').textContent = `The old data could not be kept aside, so nothing was changed: ${describe(e)}`;
            return;
          }
          await startFresh(core, store);
        },
      }, 'Set up this tablet afresh'),
    ),
  ));
}

async function startFresh(core: Core, store: ReplicaStore): Promise<void> {
  const created = core.createClient();
  if (isError(created)) {
    fatal('Packline could not start', `A new device could not be set up: ${created.error.message}`);
    return;
  }
  await run(created.client, store, true);
}

async function run(client: Client, store: ReplicaStore, isNew: boolean, notice?: string): Promise<void> {
  const app = new App(client, store, { join: () => goToSetup('join'), found: () => goToSetup('new-panel') });
  if (isNew) {
    // Keep the new device identity before anything is sent with it.
    const saved = client.save();
    if (!isError(saved)) await store.write(saved.bytes.slice()).catch(() => {});
  }
  app.start();
  if (notice) showBanner(notice, 'error');
}

// The browser may clear a site's storage when space runs low unless it is
// persistent: asked at every start, and said in the footer, at once and again
// once the request is answered (Firefox waits for the member's answer).
async function persistStorage(): Promise<void> {
  const show = (persistent: boolean) => {
    const el = byId('storage-state');
    el.dataset.persistent = String(persistent);
    el.textContent = persistent
      ? 'Storage on this tablet: kept (persistent).'
      : 'Storage on this tablet: not guaranteed; the browser may clear it when space runs low. Sync often.';
  };
  show(await storagePersisted());
  show(await requestPersistentStorage());
}

// '#/join' and '#/new-panel' lead to the set-up screens on a tablet without a
// secured panel (fresh, or holding the demo); '#/join' also from the unlock
// screen when the passphrase is forgotten.
// An invite link ('#/join/<code>', tablets.ts) opens the join screen with
// its code filled in. The code leaves the address bar and the history at
// once, before anything else runs.
function takeInviteCode(): string {
  const m = /^#\/join\/([^/?]+)/.exec(location.hash);
  if (!m) return '';
  history.replaceState(null, '', '#/join');
  return decodeURIComponent(m[1]);
}

function setupRoute(): 'join' | 'new-panel' | null {
  const m = /^#\/(join|new-panel)\b/.exec(location.hash);
  return m ? (m[1] as 'join' | 'new-panel') : null;
}

async function boot(): Promise<void> {
  // The first screen, before the ~600 KB core has arrived on a first visit.
  drawBeforeCore(byId('main'), setupRoute() !== null);
  // A waiting new version reloads the page first, with the invite link intact.
  if (await startOnWaitingVersion()) return;
  const inviteCode = takeInviteCode();
  registerServiceWorker();
  void persistStorage();
  await holdReplicaLock();

  let core: Core;
  try {
    core = await loadCore();
  } catch (e) {
    fatal('Packline could not start', `The app’s core did not load on this device: ${describe(e)}.`,
      'If this is the first time on this tablet, connect to the network and try again.');
    return;
  }
  let store: ReplicaStore;
  try {
    store = await ReplicaStore.open();
  } catch (e) {
    fatal('Packline cannot store data here', `This browser does not let Packline keep data on the tablet: ${describe(e)}.`,
      'Check that private browsing is off and that storage is allowed for this site.');
    return;
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await store.load();
  } catch (e) {
    fatal('Your stored data could not be read', `Reading the data stored on this tablet failed: ${describe(e)}. Nothing was changed.`);
    return;
  }
  const setup = setupRoute();
  // A locked copy opens with its passphrase; only an explicit "join again"
  // (forgotten passphrase) sets the tablet up anew, keeping the copy aside.
  if (bytes && core.isSealed(bytes) && setup !== 'join') {
    const sealed = bytes;
    showUnlock(core, store, sealed, (o) => void run(o.client, store, false, o.notice));
    return;
  }
  if (setup) {
    const proceed = (c: Client) => void run(c, store, false);
    if (setup === 'join') showJoin(core, store, bytes, proceed, inviteCode);
    else showFound(core, store, bytes, proceed);
    return;
  }
  if (!bytes) {
    await startFresh(core, store);
    return;
  }
  const opened = core.openClient(bytes);
  if (isError(opened)) {
    unreadable(core, store, bytes, opened.error);
    return;
  }
  await run(opened.client, store, false);
}

boot().catch((e) => fatal('Packline could not start', `Something unexpected went wrong: ${describe(e)}.`));
