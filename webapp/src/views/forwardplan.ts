// The forward plan (workplan): the rows the pack's plan lists, grouped by the
// meeting they are planned for. The chair and the clerk edit a row's notes,
// PCP lead, KLOEs and approach (Agenda or SSR); others read it. Who may edit
// and what an approach may be are the core's rules: the view shows its words.

import { nowMs } from '../clock';
import { rows, type ForwardItem } from '../core';
import { failed, isChair, type Ctx } from '../ctx';
import { h, replaceChildren } from '../dom';

interface RowForm {
  root: HTMLElement;
  notes: HTMLTextAreaElement;
  lead: HTMLInputElement;
  kloes: HTMLTextAreaElement;
  approach: HTMLSelectElement;
  summary: HTMLElement;
  error: HTMLElement;
  saved: HTMLElement;
  dirty: boolean;
  shown: string;
}

export class ForwardPlan {
  readonly root: HTMLElement;
  private readonly list = h('div', { class: 'forward-plan' });
  private readonly forms = new Map<string, RowForm>();

  constructor(private readonly ctx: Ctx, private readonly idPrefix: string) {
    this.root = h('section', { class: 'panel', 'aria-labelledby': `${idPrefix}-fp-title` },
      h('h2', { id: `${idPrefix}-fp-title` }, 'Forward plan'),
      h('p', { class: 'hint' }, this.canEdit()
        ? 'Open a row to edit its notes, PCP lead, KLOEs and approach. A field left empty keeps what it had.'
        : 'The panel’s plan of future items. The chair and the clerk keep it up to date.'),
      this.list);
  }

  private canEdit(): boolean {
    return isChair(this.ctx.role) || this.ctx.role === 'clerk';
  }

  update(): void {
    const items = rows(this.ctx.client.forwardPlan(), this.ctx.readError);
    for (const id of [...this.forms.keys()]) if (!items.some((f) => f.id === id)) this.forms.delete(id);
    if (!items.length) {
      replaceChildren(this.list, h('p', { class: 'empty' }, 'No forward plan yet: it comes with a pack that has one.'));
      return;
    }
    const byMeeting = new Map<string, ForwardItem[]>();
    for (const f of items) {
      const k = f.meetingLabel || f.meetingDate || 'Not yet planned';
      byMeeting.set(k, [...(byMeeting.get(k) ?? []), f]);
    }
    replaceChildren(this.list, [...byMeeting].map(([label, fs]) => h('div', { class: 'fp-meeting' },
      h('h3', {}, label),
      h('ul', { class: 'plain-list' }, fs.map((f) => h('li', {}, this.row(f)))))));
  }

  private row(f: ForwardItem): HTMLElement {
    let form = this.forms.get(f.id);
    if (!form) {
      form = this.build(f);
      this.forms.set(f.id, form);
    }
    const values = JSON.stringify([f.notes, f.lead, f.kloes, f.approach]);
    if (!form.dirty && values !== form.shown) {
      form.notes.value = f.notes;
      form.lead.value = f.lead;
      form.kloes.value = f.kloes;
      form.approach.value = f.approach === 'SSR' ? 'SSR' : f.approach === 'Agenda' ? 'Agenda' : '';
      form.shown = values;
    }
    replaceChildren(form.summary, h('span', { class: 'fp-title' }, f.title),
      h('span', { class: 'meta' }, [f.approach, f.lead ? `Lead: ${f.lead}` : '', f.raisedBy ? `Raised by ${f.raisedBy}` : '']
        .filter(Boolean).map((s) => ` · ${s}`).join('')));
    return form.root;
  }

  private build(f: ForwardItem): RowForm {
    const id = `${this.idPrefix}-fp-${f.id}`;
    const ro = !this.canEdit();
    const notes = h('textarea', { id: `${id}-notes`, rows: 2, readonly: ro });
    const lead = h('input', { id: `${id}-lead`, readonly: ro });
    const kloes = h('textarea', { id: `${id}-kloes`, rows: 3, readonly: ro });
    const approach = h('select', { id: `${id}-approach`, disabled: ro },
      h('option', { value: '' }, 'Not set'), h('option', { value: 'Agenda' }, 'Agenda item'),
      h('option', { value: 'SSR' }, 'Spotlight Scrutiny Review (SSR)'));
    const summary = h('summary', {});
    const error = h('p', { class: 'error', role: 'alert' });
    const saved = h('p', { class: 'saved', role: 'status' });
    const form = h('form', { class: 'fp-form', 'aria-label': `Forward plan row: ${f.title}` },
      field(`${id}-notes`, 'Notes', notes),
      h('div', { class: 'field-row' }, field(`${id}-lead`, 'PCP lead', lead), field(`${id}-approach`, 'Approach', approach)),
      field(`${id}-kloes`, 'Key lines of enquiry', kloes),
      error,
      ro ? null : h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save row')),
      saved);
    const root = h('details', { class: 'fp-row', 'data-forward': f.id }, summary, form);
    const rf: RowForm = { root, notes, lead, kloes, approach, summary, error, saved, dirty: false, shown: '' };
    for (const el of [notes, lead, kloes, approach]) el.addEventListener('input', () => { rf.dirty = true; saved.textContent = ''; });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const stored = rows(this.ctx.client.forwardPlan(), this.ctx.readError).find((x) => x.id === f.id) ?? f;
      const edit: Partial<ForwardItem> & { id: string } = { id: f.id };
      if (notes.value !== stored.notes) edit.notes = notes.value;
      if (lead.value !== stored.lead) edit.lead = lead.value;
      if (kloes.value !== stored.kloes) edit.kloes = kloes.value;
      if (approach.value && approach.value !== stored.approach) edit.approach = approach.value;
      const r = this.ctx.write('Not saved', () => this.ctx.client.editForwardItem(edit, nowMs()));
      error.textContent = failed(r) ? r.error : '';
      if (!failed(r)) {
        rf.dirty = false;
        saved.textContent = 'Saved on this tablet.';
      }
    });
    return rf;
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
