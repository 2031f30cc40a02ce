// The priority view for leads: the plan's priorities, the chosen one's leads,
// its KLOEs (edit; when two offline edits of the same KLOE meet, both versions
// are shown to choose from — the core keeps them as a conflict), and the
// members' questions on that priority across meetings.

import { nowMs } from '../clock';
import { rows, type Conflict, type Kloe, type Priority } from '../core';
import { failed, isChair, type Ctx, type View } from '../ctx';
import { h, replaceChildren, userText } from '../dom';
import { dateLabel, statusLabel } from '../labels';
import { ForwardPlan } from './forwardplan';

const FIELD_LABELS: Record<string, string> = {
  topic: 'Topic', bullets: 'Lines of enquiry', approach: 'Approach', target_meeting: 'Target meeting',
};
const FIELD_KEYS: Record<string, keyof Kloe> = {
  topic: 'topic', bullets: 'bullets', approach: 'approach', target_meeting: 'targetMeeting',
};

interface KloeForm {
  root: HTMLElement;
  topic: HTMLInputElement;
  bullets: HTMLTextAreaElement;
  target: HTMLInputElement;
  approach: HTMLSelectElement;
  conflicts: HTMLElement;
  error: HTMLElement;
  dirty: boolean;
  shown: string;  // the stored values the fields were last filled from
}

export class PriorityView implements View {
  readonly root: HTMLElement;
  private readonly chooser = h('ul', { class: 'priority-list' });
  private readonly title = h('h2', { id: 'priority-title' });
  private readonly leads = h('p', { class: 'meta' });
  private readonly kloeList = h('div', { class: 'kloes' });
  private readonly questions = h('div', {});
  private readonly newForm: HTMLElement;
  private readonly forms = new Map<string, KloeForm>();
  private readonly forwardPlan: ForwardPlan;

  constructor(private readonly ctx: Ctx, private priorityId: string) {
    const topic = h('input', { id: 'new-kloe-topic', name: 'topic' });
    const bullets = h('textarea', { dir: 'auto', id: 'new-kloe-bullets', name: 'bullets', rows: 4 });
    const target = h('input', { id: 'new-kloe-target', name: 'target', placeholder: 'e.g. February 2021' });
    const approach = approachSelect('new-kloe-approach');
    const error = h('p', { class: 'error', role: 'alert', id: 'new-kloe-error' });
    this.newForm = h('form', { class: 'panel kloe-new', 'aria-labelledby': 'new-kloe-title' },
      h('h3', { id: 'new-kloe-title' }, 'New key line of enquiry'),
      field('new-kloe-topic', 'Topic', topic),
      field('new-kloe-bullets', 'Lines of enquiry (one per line)', bullets),
      h('div', { class: 'field-row' }, field('new-kloe-target', 'Target meeting', target), field('new-kloe-approach', 'Approach', approach)),
      error,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add KLOE')));
    this.newForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const r = this.ctx.write('The KLOE was not added', () => this.ctx.client.draftKloe({
        priority: this.priorityId, topic: topic.value, bullets: bullets.value, targetMeeting: target.value, approach: approach.value,
      }, nowMs()));
      error.textContent = failed(r) ? r.error : '';
      if (!failed(r)) {
        topic.value = bullets.value = target.value = '';
      }
    });
    this.forwardPlan = new ForwardPlan(ctx, 'priority');
    this.root = h('div', { class: 'priority-view' },
      h('h1', { class: 'page-title' }, 'Plan priorities'),
      h('nav', { class: 'panel', 'aria-labelledby': 'priorities-title' },
        h('h2', { id: 'priorities-title' }, 'Priorities'), this.chooser),
      h('section', { class: 'panel', 'aria-labelledby': 'priority-title' },
        this.title, this.leads,
        h('h3', {}, 'Key lines of enquiry'), this.kloeList, this.newForm),
      h('section', { class: 'panel', 'aria-labelledby': 'pq-title' },
        h('h2', { id: 'pq-title' }, 'Members’ questions on this priority'), this.questions),
      this.forwardPlan.root,
    );
  }

  update(): void {
    const { client } = this.ctx;
    this.forwardPlan.update();
    const all = rows(client.priorities(), this.ctx.readError);
    if (!all.some((p) => p.id === this.priorityId)) {
      this.priorityId = (all.find((p) => p.leads.includes(this.ctx.me)) ?? all[0])?.id ?? '';
    }
    replaceChildren(this.chooser, all.length ? all.map((p) => h('li', {},
      h('a', { href: `#/priority/${p.id}`, 'aria-current': p.id === this.priorityId ? 'page' : null },
        `${p.number}. ${p.title}`, p.leads.includes(this.ctx.me) ? h('span', { class: 'badge' }, ' You lead') : null)))
      : h('li', { class: 'empty' }, 'The plan’s priorities have not been set up yet. The clerk or the chair adds them.'));
    const p = all.find((x) => x.id === this.priorityId);
    if (!p) {
      this.title.textContent = 'No priority chosen';
      replaceChildren(this.leads);
      replaceChildren(this.kloeList);
      this.newForm.hidden = true;
      replaceChildren(this.questions);
      return;
    }
    this.title.textContent = `Priority ${p.number}: ${p.title}`;
    this.leads.textContent = p.leads.length ? `Leads: ${p.leads.map((id) => this.ctx.name(id)).join(', ')}` : 'No leads assigned yet.';
    this.newForm.hidden = !(p.leads.includes(this.ctx.me) || isChair(this.ctx.role));
    this.renderKloes(p);
    this.renderQuestions(p);
  }

  private renderKloes(p: Priority): void {
    const kloes = rows(this.ctx.client.kloes(p.id), this.ctx.readError);
    for (const id of [...this.forms.keys()]) if (!kloes.some((k) => k.id === id)) this.forms.delete(id);
    const els = kloes.map((k) => {
      let f = this.forms.get(k.id);
      if (!f) {
        f = this.buildForm(k);
        this.forms.set(k.id, f);
      }
      const values = JSON.stringify([k.topic, k.bullets, k.targetMeeting, k.approach]);
      if (!f.dirty && values !== f.shown) {
        f.topic.value = k.topic;
        f.bullets.value = k.bullets;
        f.target.value = k.targetMeeting;
        f.approach.value = k.approach || 'Agenda';
        f.shown = values;
      }
      const conflicts = rows(this.ctx.client.conflicts('kloe', k.id), this.ctx.readError);
      this.renderConflicts(f, k, conflicts);
      return f.root;
    });
    replaceChildren(this.kloeList, els.length ? els : h('p', { class: 'empty' }, 'No KLOEs on this priority yet.'));
  }

  private buildForm(k: Kloe): KloeForm {
    const id = `kloe-${k.id}`;
    const topic = h('input', { id: `${id}-topic`, name: 'topic' });
    const bullets = h('textarea', { dir: 'auto', id: `${id}-bullets`, name: 'bullets', rows: 4 });
    const target = h('input', { id: `${id}-target`, name: 'target' });
    const approach = approachSelect(`${id}-approach`);
    const conflicts = h('div', { class: 'conflicts' });
    const error = h('p', { class: 'error', role: 'alert' });
    const saved = h('p', { class: 'saved', role: 'status' });
    const root = h('form', { class: 'kloe', 'data-kloe': k.id, 'aria-label': `KLOE: ${k.topic}` },
      conflicts,
      field(`${id}-topic`, 'Topic', topic),
      field(`${id}-bullets`, 'Lines of enquiry', bullets),
      h('div', { class: 'field-row' }, field(`${id}-target`, 'Target meeting', target), field(`${id}-approach`, 'Approach', approach)),
      h('p', { class: 'meta' }, `Drafted by ${this.ctx.name(k.owner)}`),
      error,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save KLOE')),
      saved);
    const f: KloeForm = { root, topic, bullets, target, approach, conflicts, error, dirty: false, shown: '' };
    for (const el of [topic, bullets, target, approach]) el.addEventListener('input', () => { f.dirty = true; saved.textContent = ''; });
    root.addEventListener('submit', (e) => {
      e.preventDefault();
      // Only the fields changed here, so an edit elsewhere of another field is not a conflict.
      const stored = rows(this.ctx.client.kloes(k.priority), this.ctx.readError).find((x) => x.id === k.id) ?? k;
      const edit: Partial<Kloe> & { id: string } = { id: k.id };
      if (topic.value !== stored.topic) edit.topic = topic.value;
      if (bullets.value !== stored.bullets) edit.bullets = bullets.value;
      if (target.value !== stored.targetMeeting) edit.targetMeeting = target.value;
      if (approach.value !== (stored.approach || 'Agenda')) edit.approach = approach.value;
      const r = this.ctx.write('Not saved', () => this.ctx.client.editKloe(edit, nowMs()));
      error.textContent = failed(r) ? r.error : '';
      if (!failed(r)) {
        f.dirty = false;
        saved.textContent = 'Saved on this tablet.';
      }
    });
    return f;
  }

  private renderConflicts(f: KloeForm, k: Kloe, all: Conflict[]): void {
    // Concurrent writes of the same value leave nothing to choose.
    const conflicts = all.filter((c) => c.others.some((o) => String(o ?? '') !== String(c.winner ?? '')));
    if (!conflicts.length) {
      replaceChildren(f.conflicts);
      return;
    }
    replaceChildren(f.conflicts, h('div', { class: 'conflict', role: 'group', 'aria-label': 'Two versions to choose from' },
      h('p', { class: 'conflict-title' }, 'This KLOE was edited on two tablets at once. Choose the version to keep:'),
      conflicts.map((c) => {
        const key = FIELD_KEYS[c.field];
        const versions = [c.winner, ...c.others].map((v) => (v == null ? '' : String(v)));
        return h('fieldset', { class: 'versions', 'data-field': c.field },
          h('legend', {}, FIELD_LABELS[c.field] ?? c.field),
          [...new Set(versions)].map((v, i) => h('div', { class: 'version' },
            h('p', { class: 'version-text' }, v || '(empty)'),
            h('button', {
              type: 'button', 'aria-label': `Keep version ${i + 1} of the ${(FIELD_LABELS[c.field] ?? c.field).toLowerCase()}`,
              onclick: () => {
                if (!key) return;
                const r = this.ctx.write('Not kept', () => this.ctx.client.editKloe({ id: k.id, [key]: v }, nowMs()));
                f.error.textContent = failed(r) ? r.error : '';
                if (!failed(r)) f.dirty = false;
              },
            }, `Keep version ${i + 1}`))));
      })));
  }

  private renderQuestions(p: Priority): void {
    const { client } = this.ctx;
    const out: HTMLElement[] = [];
    for (const m of rows(client.meetings(), this.ctx.readError)) {
      const qs = rows(client.questions(m.id), this.ctx.readError).filter((q) => q.priority === p.id);
      if (!qs.length) continue;
      out.push(h('h3', {}, `${m.title || 'Meeting'}, ${dateLabel(m.date)}`),
        h('ul', { class: 'questions' }, qs.map((q) => h('li', { class: 'question', 'data-question': q.id },
          userText('p', q.body, { class: 'body' }),
          h('p', { class: 'byline' }, h('span', { class: 'author' }, this.ctx.name(q.author)), ` · ${q.section} · `,
            statusLabel(q.status), q.outcome ? ` · ${q.outcome}` : '')))));
    }
    replaceChildren(this.questions, out.length ? out : h('p', { class: 'empty' }, 'No member has tagged a question with this priority yet.'));
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function approachSelect(id: string): HTMLSelectElement {
  return h('select', { id, name: 'approach' },
    h('option', { value: 'Agenda' }, 'Agenda item'), h('option', { value: 'SSR' }, 'Spotlight Scrutiny Review (SSR)'));
}
