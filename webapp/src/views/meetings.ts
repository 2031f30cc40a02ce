// Meetings: upcoming first, then past; for each the pack, my questions (by
// status) and open actions, with links into the meeting and its reader.

import { today as todayDate } from '../clock';
import { rows, type Meeting } from '../core';
import type { Ctx, View } from '../ctx';
import { h, replaceChildren } from '../dom';
import { dateLabel, statusLabel } from '../labels';

export class MeetingsView implements View {
  readonly root: HTMLElement;
  private readonly upcoming: HTMLElement;
  private readonly past: HTMLElement;

  constructor(private readonly ctx: Ctx) {
    this.upcoming = h('div', { class: 'meeting-cards' });
    this.past = h('div', { class: 'meeting-cards' });
    this.root = h('div', { class: 'meetings' },
      h('h1', { class: 'page-title' }, 'Meetings'),
      h('section', { class: 'panel', 'aria-labelledby': 'upcoming-title' },
        h('h2', { id: 'upcoming-title' }, 'Upcoming'), this.upcoming),
      h('section', { class: 'panel', 'aria-labelledby': 'past-title' },
        h('h2', { id: 'past-title' }, 'Past'), this.past),
    );
  }

  update(): void {
    const { client } = this.ctx;
    const meetings = rows(client.meetings(), this.ctx.readError);
    const today = todayDate();
    const up = meetings.filter((m) => m.date >= today).sort((a, b) => a.date.localeCompare(b.date));
    const past = meetings.filter((m) => m.date < today).sort((a, b) => b.date.localeCompare(a.date));
    const empty = navigator.onLine ? 'None yet. New meetings appear here when the clerk publishes them.'
      : 'None stored on this tablet yet.';
    replaceChildren(this.upcoming, up.length ? up.map((m) => this.card(m)) : h('p', { class: 'empty' }, empty));
    replaceChildren(this.past, past.length ? past.map((m) => this.card(m)) : h('p', { class: 'empty' }, 'No past meetings.'));
  }

  private card(m: Meeting): HTMLElement {
    const { client, me } = this.ctx;
    const mine = rows(client.questions(m.id), this.ctx.readError).filter((q) => q.author === me);
    const open = rows(client.actions(m.id), this.ctx.readError).filter((a) => a.status !== 'closed' && a.status !== 'done');
    const packs = rows(client.packs(m.id), this.ctx.readError);
    const current = packs.find((p) => p.id === m.pack) ?? packs[packs.length - 1];
    const byStatus = new Map<string, number>();
    for (const q of mine) byStatus.set(q.status, (byStatus.get(q.status) ?? 0) + 1);
    const titleId = `meeting-${m.id}`;
    return h('article', { class: 'meeting-card', 'aria-labelledby': titleId, 'data-meeting': m.id },
      h('h3', { id: titleId }, h('a', { href: `#/meeting/${m.id}` }, `${m.title || 'Meeting'}, ${dateLabel(m.date)}`)),
      h('p', { class: 'meta' }, [m.time, m.venue].filter(Boolean).join(' · ')),
      h('ul', { class: 'facts' },
        h('li', {}, current
          ? `Pack: version ${current.version}${current.pages ? `, ${current.pages} pages` : ''}`
          : 'No pack published yet'),
        h('li', { class: 'my-questions' }, mine.length
          ? `My questions: ${[...byStatus].map(([s, n]) => `${n} ${statusLabel(s).toLowerCase()}`).join(', ')}`
          : 'My questions: none yet'),
        h('li', { class: 'open-actions' }, `Open actions: ${open.length}`),
      ),
      h('div', { class: 'actions' },
        h('a', { class: 'button primary', href: `#/meeting/${m.id}` }, 'Agenda and questions'),
        current ? h('a', { class: 'button', href: `#/read/${m.id}` }, 'Read the pack') : null,
      ),
    );
  }
}
