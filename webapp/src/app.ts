// The page once a client exists: header (connection state and pending count,
// always visible; the member's sections), sign-in, and a hash router over the
// views (meetings, meeting, reader, priority, board, clerk). Every value shown
// comes from the core; every change goes through the core, is saved to
// IndexedDB, then flushed to the server. A view is built once per route and
// then only updated, so incoming sync never wipes what the member is typing.

import { finishAdopting } from './adopt';
import { clockWarning, nowMs } from './clock';
import { NOT_MEMBER, REVOKED, isError, rows, securedPanel, type Client, type CoreError, type Fallible, type Member, type Priority } from './core';
import type { Ctx, View } from './ctx';
import { isChair } from './ctx';
import { byId, h, replaceChildren } from './dom';
import { rememberFirstScreen, signInScreen } from './first-screen';
import { CONN_LABELS, roleLabel } from './labels';
import { ReplicaSaver, type ReplicaStore } from './store';
import { SyncTransport } from './sync';
import { BoardView } from './views/board';
import { ClerkView } from './views/clerk';
import { MeetingView } from './views/meeting';
import { MeetingsView } from './views/meetings';
import { PriorityView } from './views/priority';
import { ReaderView } from './views/reader';

// How often the app checks whether the offline lease has run out.
const LEASE_CHECK_MS = 5_000;

export class App implements Ctx {
  private readonly saver: ReplicaSaver;
  private readonly transport: SyncTransport;
  private view: View | null = null;
  private viewKey = '';
  private renderQueued = false;
  // "Switch member": show the chooser until a member is picked.
  private choosing = false;
  // The server refused this tablet for good (revoked, or its member removed).
  private refused = false;
  me = '';
  role = '';
  members: Member[] = [];

  constructor(
    readonly client: Client,
    store: ReplicaStore,
    // The set-up screens (join with an invite, found a secured panel).
    private readonly setup: { join: () => void; found: () => void },
  ) {
    this.saver = new ReplicaSaver(store, client, (m) => showBanner(m, 'error'),
      // For tests and support: whether the replica on disk is up to date.
      (stored) => { document.documentElement.dataset.stored = String(stored); });
    this.transport = new SyncTransport(client, {
      onChange: (changed) => {
        this.updateHeader();
        if (changed) this.queueRender();
      },
      onFrameHandled: () => this.saver.saveSoon(),
      onRejected: (reasons) => showBanner(
        `A change from another device was refused: ${reasons.join('; ')}. It is kept and tried again; the clerk’s page lists it.`, 'info'),
      onError: (m) => showBanner(m, 'error'),
      onSyncError: (e) => {
        if (e.code === REVOKED) {
          this.refused = true;
          this.updateHeader();
          showBanner('The clerk has taken this tablet off the panel (a lost tablet, or a member who has left), so it can no longer send or receive the panel’s work. If that is a mistake, ask the clerk for a new invite.', 'error');
        } else if (e.code === NOT_MEMBER) {
          showBanner(`The server no longer accepts this tablet for your panel: ${e.message}. Ask the clerk.`, 'error');
        }
      },
    });
    document.documentElement.dataset.stored = 'true';
  }

  start(): void {
    this.render();
    this.transport.start();
    window.addEventListener('hashchange', () => this.render());
    // Best effort when the tablet sleeps or the page goes away; drafts are already saved.
    window.addEventListener('pagehide', () => void this.saver.saveNow().catch(() => {}));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') void this.saver.saveNow().catch(() => {});
    });
    byId('footer').dataset.device = this.client.deviceId();
    // Opened past the lease: saving now drops the key cached on the tablet.
    if (this.client.locked()) void this.saver.saveNow().catch(() => {});
    setInterval(() => this.checkLease(), LEASE_CHECK_MS);
  }

  // The offline lease runs out while the app is open: the copy is put away
  // (and saved without its key) and the page shows nothing of the panel.
  // A tablet connected to the server is in contact (each frame renews it).
  private checkLease(): void {
    if (this.client.locked() || this.transport.state === 'open') return;
    const r = this.client.lockIfExpired(nowMs());
    if (isError(r) || !r.locked) return;
    void this.saver.saveNow().catch(() => {});
    this.queueRender();
  }

  // ---- Ctx ---------------------------------------------------------------

  readonly readError = (e: CoreError): void =>
    showBanner(`Some of the panel’s data could not be read on this tablet: ${e.message}`, 'error');

  name(id: string): string {
    return this.members.find((m) => m.id === id)?.name ?? 'Unknown member';
  }

  myPriorities(): Priority[] {
    return rows(this.client.priorities(), this.readError).filter((p) => p.leads.includes(this.me));
  }

  write<T>(what: string, call: () => Fallible<T>): { ok: T } | { error: string } {
    let r: Fallible<T>;
    try {
      finishAdopting();  // a pack published in the worker first, so this change follows it
      r = call();
    } catch (e) {
      // The details are for support (the console), not for the member.
      console.error(`${what}:`, e);
      return { error: `${what}: something went wrong in the app, so nothing was changed. Reload the page and try again.` };
    }
    if (isError(r)) return { error: `${what}: ${r.error.message}` };
    this.saver.saveNow().catch(() => {}); // failures are shown in the banner
    this.transport.flush();
    this.updateHeader();
    this.queueRender();
    return { ok: r };
  }

  // Resolves once the last write is on the tablet's disk.
  saved(): Promise<void> {
    return this.saver.saveNow();
  }

  navigate(hash: string): void {
    if (location.hash === hash) this.render();
    else location.hash = hash;
  }

  // ---- header --------------------------------------------------------------

  private updateHeader(): void {
    const conn = byId('conn');
    const link = this.transport.state;
    const state = link === 'open' ? this.client.syncState() : link;
    // An open socket before the welcome is still "connecting" for the member.
    const shown = link === 'open' && state === 'offline' ? 'connecting' : state;
    // A new tablet starting from the panel's snapshot: show how far it is.
    const snap = link === 'open' ? this.client.snapshotProgress() : null;
    conn.textContent = this.refused ? 'Refused by the server'
      : snap && snap.total > 0
        ? `Downloading pack history… ${Math.floor((100 * snap.received) / snap.total)}%`
        : CONN_LABELS[shown];
    conn.dataset.state = this.refused ? 'offline' : shown;
    const n = this.client.pendingCount();
    const pending = byId('pending');
    pending.textContent = `${n} pending`;
    pending.dataset.count = String(n);
    pending.title = n === 0
      ? 'Every change is on the server'
      : `${n} change${n === 1 ? '' : 's'} saved on this tablet, not yet on the server`;
    // A device clock far from the server's: the member is told (and the
    // tablet goes on working on the corrected time, clock.ts).
    const warning = clockWarning();
    const clock = byId('clock-banner');
    if (clock.textContent !== warning) clock.textContent = warning;
    clock.hidden = warning === '';
    // After a key change the tablet reads nothing new until the clerk's
    // tablet hands it the panel's new key; it asks, and recovers by itself.
    const waiting = this.client.waitingForKey();
    const key = byId('key-banner');
    key.textContent = waiting
      ? 'Waiting for the panel’s new key. The clerk’s tablet hands it over when it next connects; until then new changes from others cannot be read here, and yours wait on this tablet.'
      : '';
    key.hidden = !waiting;
  }

  private renderNav(): void {
    const nav = byId('nav');
    if (!this.me || this.choosing) {
      replaceChildren(nav);
      nav.hidden = true;
      return;
    }
    nav.hidden = false;
    const here = location.hash || '#/';
    const link = (href: string, label: string, match: (h: string) => boolean) =>
      h('li', {}, h('a', { href, 'aria-current': match(here) ? 'page' : null }, label));
    const led = this.myPriorities();
    replaceChildren(nav, h('ul', {},
      link('#/', 'Meetings', (x) => x === '#/' || x.startsWith('#/meeting') || x.startsWith('#/read')),
      led.length || isChair(this.role) ? link(`#/priority/${led[0]?.id ?? ''}`, led.length ? 'My priority' : 'Priorities', (x) => x.startsWith('#/priority')) : null,
      isChair(this.role) ? link('#/board', 'Question board', (x) => x.startsWith('#/board')) : null,
      this.role === 'clerk' ? link('#/clerk', 'Clerk', (x) => x.startsWith('#/clerk')) : null,
    ), securedPanel(this.client) ? null : h('button', { type: 'button', class: 'switch', onclick: () => this.signOut() }, 'Switch member'));
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    this.updateHeader();
    if (this.client.locked()) {
      this.renderLocked();
      return;
    }
    this.me = this.client.signedInMember();
    // A secured panel's device acts for the member its keys were issued to.
    const mine = securedPanel(this.client) ? this.client.myMember() : '';
    if (mine && this.me !== mine && !isError(this.client.signIn(mine))) {
      this.me = mine;
      this.choosing = false;
      void this.saver.saveNow().catch(() => {});
    }
    this.role = this.client.myRole();
    this.members = rows(this.client.members(), this.readError);
    const who = byId('who');
    const member = this.members.find((m) => m.id === this.me);
    this.renderNav();
    if (!this.me || this.choosing) {
      replaceChildren(who);
      replaceChildren(byId('nav'));
      this.renderSignIn();
      return;
    }
    rememberFirstScreen({ screen: 'other' });
    replaceChildren(who, 'Signed in as ', h('strong', {}, member?.name ?? 'a panel member'),
      member ? ` (${roleLabel(member.role)})` : '');
    this.route();
  }

  private route(): void {
    const hash = location.hash || '#/';
    const [path] = hash.slice(1).split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const key = `${this.me}|${parts.slice(0, 3).join('/')}`;
    if (this.view && this.viewKey === key) {
      this.view.update();
      return;
    }
    let view: View;
    switch (parts[0]) {
      case 'meeting': view = new MeetingView(this, parts[1], parts[3] ?? null); break;
      case 'read': view = new ReaderView(this, parts[1], parts[2] ?? null); break;
      case 'priority': view = new PriorityView(this, parts[1] ?? ''); break;
      case 'board': view = new BoardView(this, parts[1] ?? ''); break;
      case 'clerk': view = new ClerkView(this, parts[1] ?? ''); break;
      default: view = new MeetingsView(this);
    }
    // An item chosen within the same meeting keeps the meeting or reader view.
    if (parts[0] === 'meeting' && this.view instanceof MeetingView && this.view.meetingId === parts[1]) {
      this.viewKey = key;
      this.view.selectItem(parts[3] ?? null);
      return;
    }
    if (parts[0] === 'read' && this.view instanceof ReaderView && this.view.meetingId === parts[1]) {
      this.viewKey = key;
      this.view.selectItem(parts[2] ?? null);
      return;
    }
    this.view = view;
    this.viewKey = key;
    replaceChildren(byId('main'), view.root);
    view.update();
  }

  // Past the offline lease: nothing of the panel, and why.
  private renderLocked(): void {
    rememberFirstScreen({ screen: 'other' });
    this.view = null;
    this.viewKey = '';
    replaceChildren(byId('who'));
    const nav = byId('nav');
    replaceChildren(nav);
    nav.hidden = true;
    replaceChildren(byId('main'), h('section', { class: 'panel narrow', id: 'lease-locked', role: 'alert', 'aria-labelledby': 'locked-title' },
      h('h1', { id: 'locked-title' }, 'This tablet must reach the server'),
      h('p', {}, 'It has been offline longer than your panel allows, so your panel’s papers are locked away on it. Nothing is lost.'),
      h('p', {}, 'Connect to the network. Once the server recognises this tablet, your panel opens again by itself.'),
      h('p', {}, 'If this tablet was reported lost, the clerk has removed it, and it will not open again: set it up afresh with a new invite.'),
    ));
  }

  // ---- sign-in -------------------------------------------------------------

  private renderSignIn(): void {
    this.view = null;
    this.viewKey = '';
    const members = this.members;
    const open = !securedPanel(this.client);
    signInScreen(byId('main'), {
      members, open,
      note: members.length ? undefined : navigator.onLine
        ? 'Fetching your panel’s member list from the server…'
        : 'This tablet is offline. Packline needs to connect to the server once to fetch your panel; it then works offline.',
      actions: {
        pick: (id) => { const m = members.find((x) => x.id === id); if (m) this.signIn(m); },
        join: () => this.setup.join(), found: () => this.setup.found(),
      },
    });
    if (members.length === 0) return;
    // The next start draws this list before the core has loaded; an open
    // panel's names only (a secured panel's tablet signs in by its keys).
    rememberFirstScreen(open ? { screen: 'signin', members: members.map((m) => ({ name: m.name, role: m.role })) } : { screen: 'other' });
    // When a member can first choose their name (timed by bench/run webapp).
    if (performance.getEntriesByName('packline-signin-usable').length === 0) performance.mark('packline-signin-usable');
  }

  private signIn(m: Member): void {
    const r = this.client.signIn(m.id);
    this.choosing = false;
    if (isError(r)) {
      byId('signin-error').textContent = `Could not sign you in as ${m.name}: ${r.error.message}`;
      return;
    }
    void this.saver.saveNow().catch(() => {});
    this.transport.flush();
    this.render();
    byId('main').focus();
  }

  private signOut(): void {
    // Only this device's choice of member changes; nothing is deleted.
    this.choosing = true;
    this.render();
  }
}

export function showBanner(message: string, kind: 'error' | 'info', action?: { label: string; run: () => void }): void {
  const banner = byId('banner');
  banner.hidden = false;
  banner.className = `banner ${kind}`;
  banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  replaceChildren(banner,
    h('span', {}, message),
    action ? h('button', { type: 'button', onclick: action.run }, action.label) : null,
    h('button', { type: 'button', class: 'quiet', 'aria-label': 'Dismiss message', onclick: () => { banner.hidden = true; } }, '×'),
  );
}
