// The page once a client exists: header (connection state and pending count,
// always visible), sign-in, and the meeting with its agenda and questions.
// Every value shown comes from the core; every change goes through the core,
// is saved to IndexedDB, then flushed to the server. Renders update only the
// lists, so incoming sync never wipes what the member is typing.

import { isError, rows, type Client, type CoreError, type Item, type Meeting, type Member, type Question } from './core';
import { byId, h, replaceChildren } from './dom';
import { CONN_LABELS, dateLabel, pagesLabel, roleLabel, statusLabel, timeAgo } from './labels';
import { ReplicaSaver, describe, type ReplicaStore } from './store';
import { SyncTransport } from './sync';

interface MeetingView {
  meetingId: string;
  root: HTMLElement;
  heading: HTMLElement;
  details: HTMLElement;
  agenda: HTMLElement;
  itemPanel: HTMLElement;
  allQuestions: HTMLElement;
  // The form of the selected item, kept across re-renders.
  itemId: string | null;
  itemHeader: HTMLElement | null;
  itemQuestions: HTMLElement | null;
}

export class App {
  private readonly saver: ReplicaSaver;
  private readonly transport: SyncTransport;
  private view: 'signin' | 'meeting' | null = null;
  private meetingView: MeetingView | null = null;
  private selectedItem: string | null = null;
  private renderQueued = false;

  constructor(
    private readonly client: Client,
    store: ReplicaStore,
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
        `A change from another device was refused: ${reasons.join('; ')}`, 'info'),
      onError: (m) => showBanner(m, 'error'),
    });
    document.documentElement.dataset.stored = 'true';
    this.selectedItem = new URLSearchParams(location.hash.slice(1)).get('item');
  }

  start(): void {
    this.render();
    this.transport.start();
    // Best effort when the tablet sleeps or the page goes away; drafts are already saved.
    window.addEventListener('pagehide', () => void this.saver.saveNow().catch(() => {}));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') void this.saver.saveNow().catch(() => {});
    });
    byId('footer').dataset.device = this.client.deviceId();
  }

  private readonly readError = (e: CoreError): void =>
    showBanner(`Some of the panel’s data could not be read on this tablet: ${e.message}`, 'error');

  private updateHeader(): void {
    const conn = byId('conn');
    const link = this.transport.state;
    const state = link === 'open' ? this.client.syncState() : link;
    // An open socket before the welcome is still "connecting" for the member.
    const shown = link === 'open' && state === 'offline' ? 'connecting' : state;
    conn.textContent = CONN_LABELS[shown];
    conn.dataset.state = shown;
    const n = this.client.pendingCount();
    const pending = byId('pending');
    pending.textContent = `${n} pending`;
    pending.dataset.count = String(n);
    pending.title = n === 0
      ? 'Every change is on the server'
      : `${n} change${n === 1 ? '' : 's'} saved on this tablet, not yet on the server`;
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
    const me = this.client.signedInMember();
    const members = rows(this.client.members(), this.readError);
    const who = byId('who');
    const member = members.find((m) => m.id === me);
    if (!me) {
      replaceChildren(who);
      this.renderSignIn(members);
      return;
    }
    replaceChildren(who, 'Signed in as ', h('strong', {}, member?.name ?? 'a panel member'),
      member ? ` (${roleLabel(member.role)})` : '');
    this.renderMeeting(members, me);
  }

  // ---- sign-in -----------------------------------------------------------

  private renderSignIn(members: Member[]): void {
    const main = byId('main');
    this.view = 'signin';
    this.meetingView = null;
    if (members.length === 0) {
      replaceChildren(main, h('section', { class: 'panel narrow', 'aria-labelledby': 'signin-title' },
        h('h1', { id: 'signin-title' }, 'Sign in'),
        h('p', { class: 'notice' }, navigator.onLine
          ? 'Fetching your panel’s member list from the server…'
          : 'This tablet is offline. Packline needs to connect to the server once to fetch your panel; it then works offline.'),
      ));
      return;
    }
    const list = h('ul', { class: 'member-list' },
      members.map((m) => {
        const roleId = `role-${m.id}`;
        return h('li', {},
          h('button', {
            type: 'button', class: 'member', 'aria-describedby': roleId,
            onclick: () => this.signIn(m),
          }, `Sign in as ${m.name}`),
          h('span', { class: 'role', id: roleId }, roleLabel(m.role)),
        );
      }));
    replaceChildren(main, h('section', { class: 'panel narrow', 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title' }, 'Who is using this tablet?'),
      h('p', {}, 'Choose your name. Your drafts are kept on this tablet and shared with the panel when it is online.'),
      h('p', { class: 'error', role: 'alert', id: 'signin-error' }),
      list,
    ));
  }

  private signIn(m: Member): void {
    const r = this.client.signIn(m.id);
    if (isError(r)) {
      byId('signin-error').textContent = `Could not sign you in as ${m.name}: ${r.error.message}`;
      return;
    }
    void this.saver.saveNow().catch(() => {});
    this.transport.flush();
    this.render();
    byId('main').focus();
  }

  // ---- meeting -----------------------------------------------------------

  private renderMeeting(members: Member[], me: string): void {
    const meetings = rows(this.client.meetings(), this.readError);
    const main = byId('main');
    if (meetings.length === 0) {
      this.view = 'meeting';
      this.meetingView = null;
      replaceChildren(main, h('section', { class: 'panel narrow' },
        h('h1', {}, 'No meetings yet'),
        h('p', { class: 'notice' }, navigator.onLine
          ? 'Fetching the panel’s meetings from the server…'
          : 'This tablet is offline and has no meetings stored yet.'),
      ));
      return;
    }
    const meeting = pickMeeting(meetings);
    if (this.view !== 'meeting' || !this.meetingView || this.meetingView.meetingId !== meeting.id) {
      this.meetingView = this.buildMeeting(meeting);
      replaceChildren(main, this.meetingView.root);
      this.view = 'meeting';
    }
    const v = this.meetingView;
    const items = rows(this.client.items(meeting.id), this.readError);
    const questions = rows(this.client.questions(meeting.id), this.readError);
    const names = new Map(members.map((m) => [m.id, m.name]));
    const author = (q: Question) =>
      (names.get(q.author) ?? 'Unknown member') + (q.author === me ? ' (you)' : '');

    v.heading.textContent = meeting.title;
    replaceChildren(v.details,
      detail('Date', dateLabel(meeting.date)),
      detail('Time', meeting.time),
      detail('Venue', meeting.venue),
    );

    if (this.selectedItem && !items.some((i) => i.id === this.selectedItem)) this.selectedItem = null;

    const counts = new Map<string, number>();
    for (const q of questions) counts.set(q.item, (counts.get(q.item) ?? 0) + 1);
    replaceChildren(v.agenda, items.map((it) => {
      const n = counts.get(it.id) ?? 0;
      return h('li', {},
        h('button', {
          type: 'button', class: 'agenda-item', 'aria-pressed': String(it.id === this.selectedItem),
          'data-item': it.id, onclick: () => this.selectItem(it.id, true),
        },
        h('span', { class: 'num' }, it.number),
        h('span', { class: 'title' }, it.title, it.exempt ? h('span', { class: 'tag' }, ' Exempt') : null),
        h('span', { class: 'meta' }, [pagesLabel(it.pages), n ? `${n} question${n === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ')),
        ));
    }));

    this.renderItemPanel(v, items, questions, author);

    replaceChildren(v.allQuestions, items.map((it) => {
      const qs = questions.filter((q) => q.item === it.id);
      return h('section', { class: 'item-questions' },
        h('h3', {}, `${it.number}. ${it.title}`),
        qs.length ? questionList(qs, author) : h('p', { class: 'empty' }, 'No questions yet.'));
    }));
  }

  private buildMeeting(meeting: Meeting): MeetingView {
    const heading = h('h1', { id: 'meeting-title' });
    const details = h('dl', { class: 'meeting-details' });
    const agenda = h('ol', { class: 'agenda', 'aria-label': 'Agenda items' });
    const itemPanel = h('section', { class: 'panel item-panel', id: 'item-panel', 'aria-label': 'Selected agenda item' });
    const allQuestions = h('div', {});
    const root = h('div', { class: 'meeting' },
      h('section', { class: 'panel meeting-head', 'aria-labelledby': 'meeting-title' }, heading, details),
      h('div', { class: 'columns' },
        h('nav', { class: 'panel agenda-panel', 'aria-labelledby': 'agenda-title' },
          h('h2', { id: 'agenda-title' }, 'Agenda'), agenda),
        itemPanel),
      h('section', { class: 'panel all-questions', 'aria-labelledby': 'all-q-title' },
        h('h2', { id: 'all-q-title' }, 'All questions in this meeting'), allQuestions),
    );
    return {
      meetingId: meeting.id, root, heading, details, agenda, itemPanel, allQuestions,
      itemId: null, itemHeader: null, itemQuestions: null,
    };
  }

  private selectItem(id: string, focus: boolean): void {
    this.selectedItem = id;
    history.replaceState(null, '', `#item=${encodeURIComponent(id)}`);
    this.render();
    if (focus) {
      const heading = document.getElementById('item-title');
      heading?.focus({ preventScroll: true });
      // In portrait the panel is below the agenda: bring it into view.
      if (window.matchMedia('(orientation: portrait)').matches) {
        this.meetingView?.itemPanel.scrollIntoView({ behavior: 'smooth', block: 'start' });
      }
    }
  }

  private renderItemPanel(v: MeetingView, items: Item[], questions: Question[], author: (q: Question) => string): void {
    const item = items.find((i) => i.id === this.selectedItem);
    v.itemPanel.removeAttribute(item ? 'aria-label' : 'aria-labelledby');
    if (item) v.itemPanel.setAttribute('aria-labelledby', 'item-title');
    else v.itemPanel.setAttribute('aria-label', 'Selected agenda item');
    if (!item) {
      v.itemId = null;
      v.itemHeader = v.itemQuestions = null;
      replaceChildren(v.itemPanel,
        h('h2', {}, 'Questions'),
        h('p', { class: 'notice' }, 'Choose an agenda item to read its questions and draft your own.'));
      return;
    }
    if (v.itemId !== item.id) {
      v.itemId = item.id;
      v.itemHeader = h('div', {});
      v.itemQuestions = h('div', {});
      replaceChildren(v.itemPanel, v.itemHeader, v.itemQuestions, this.buildForm(item.id));
    }
    replaceChildren(v.itemHeader!,
      h('h2', { id: 'item-title', tabindex: '-1' }, `${item.number}. ${item.title}`),
      item.pages || item.exempt
        ? h('p', { class: 'meta' }, [pagesLabel(item.pages), item.exempt ? 'Exempt item' : ''].filter(Boolean).join(' · '))
        : null,
      item.description ? h('p', { class: 'description' }, item.description) : null,
    );
    const qs = questions.filter((q) => q.item === item.id);
    replaceChildren(v.itemQuestions!,
      h('h3', {}, 'Questions on this item'),
      qs.length ? questionList(qs, author) : h('p', { class: 'empty' }, 'No questions yet. Be the first to draft one.'));
  }

  private buildForm(itemId: string): HTMLElement {
    const textarea = h('textarea', { id: 'question-body', name: 'body', rows: 5, 'aria-describedby': 'question-hint' });
    const error = h('p', { class: 'error', role: 'alert', id: 'question-error' });
    const saved = h('p', { class: 'saved', role: 'status', id: 'question-saved' });
    const button = h('button', { type: 'submit', class: 'primary' }, 'Save draft');
    const form = h('form', { class: 'question-form', 'aria-labelledby': 'question-form-title' },
      h('h3', { id: 'question-form-title' }, 'Draft a question'),
      h('label', { for: 'question-body' }, 'Your question'),
      h('p', { class: 'hint', id: 'question-hint' }, 'Saved on this tablet at once; shared with the panel when online.'),
      textarea, error, h('div', { class: 'actions' }, button), saved,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (button.disabled) return;
      void this.saveDraft(itemId, textarea, error, saved, button);
    });
    return form;
  }

  private async saveDraft(itemId: string, textarea: HTMLTextAreaElement, error: HTMLElement,
    saved: HTMLElement, button: HTMLButtonElement): Promise<void> {
    error.textContent = '';
    saved.textContent = '';
    const r = this.client.draftQuestion(itemId, textarea.value, Date.now());
    if (isError(r)) {
      error.textContent = `Your question was not saved: ${r.error.message}`;
      textarea.focus();
      return;
    }
    textarea.value = '';
    button.disabled = true;
    this.render();
    try {
      await this.saver.saveNow();
      saved.textContent = 'Draft saved on this tablet.';
    } catch (e) {
      error.textContent = `Your question is in the app but could not be stored on this tablet: ${describe(e)}. Keep this page open while online so it reaches the server.`;
    } finally {
      button.disabled = false;
    }
    this.transport.flush();
    this.updateHeader();
  }
}

function pickMeeting(meetings: Meeting[]): Meeting {
  // The next meeting from today, else the latest one.
  const today = new Date().toISOString().slice(0, 10);
  const sorted = [...meetings].sort((a, b) => a.date.localeCompare(b.date));
  return sorted.find((m) => m.date >= today) ?? sorted[sorted.length - 1];
}

function detail(term: string, value: string): HTMLElement[] {
  return value ? [h('dt', {}, term), h('dd', {}, value)] : [];
}

function questionList(qs: Question[], author: (q: Question) => string): HTMLElement {
  const sorted = [...qs].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  return h('ul', { class: 'questions' }, sorted.map((q) =>
    h('li', { class: 'question', 'data-question': q.id },
      h('p', { class: 'body' }, q.body),
      h('p', { class: 'byline' },
        h('span', { class: 'author' }, author(q)),
        ' · ', h('span', { class: `q-status q-status-${q.status}` }, statusLabel(q.status)),
        q.createdAt ? ` · ${timeAgo(q.createdAt)}` : ''),
    )));
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
