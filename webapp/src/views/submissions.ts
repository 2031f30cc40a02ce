// Public participation: the clerk records each question or statement from the
// public as it arrives and sees, in plain words, whether it is accepted. The
// rules (word limit, one per person per meeting, the first N accepted, the
// deadline) are the core's; every replica derives the same decisions.

import { nowMs } from '../clock';
import { rows, isError, type Submission } from '../core';
import { failed, type Ctx } from '../ctx';
import { h, replaceChildren } from '../dom';

// "YYYY-MM-DDTHH:MM" in the tablet's local time, for a datetime-local field.
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export class PublicSubmissions {
  readonly root: HTMLElement;
  private readonly rulesText = h('p', { class: 'hint', id: 'submission-rules' });
  private readonly list = h('ol', { class: 'submissions', 'aria-label': 'Public submissions received' });
  private readonly outcome = h('div', { class: 'submission-outcome', role: 'status', id: 'submission-outcome' });
  private readonly error = h('p', { class: 'error', role: 'alert', id: 'submission-error' });
  private readonly name = h('input', { id: 'submission-name', name: 'name', autocomplete: 'off' });
  private readonly kind = h('select', { id: 'submission-kind', name: 'kind' },
    h('option', { value: 'question' }, 'Question'), h('option', { value: 'statement' }, 'Statement'));
  private readonly received = h('input', { id: 'submission-received', name: 'received', type: 'datetime-local' });
  private readonly body = h('textarea', { id: 'submission-body', name: 'body', rows: 6 });
  private meetingId = '';

  constructor(private readonly ctx: Ctx) {
    const form = h('form', { class: 'submission-form', 'aria-labelledby': 'submission-form-title' },
      h('h3', { id: 'submission-form-title' }, 'Record a submission'),
      h('div', { class: 'field-row' },
        field('submission-name', 'From (name, or town or parish council)', this.name),
        field('submission-kind', 'Kind', this.kind),
        field('submission-received', 'Received', this.received)),
      field('submission-body', 'Text as received', this.body),
      this.error,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Record submission')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.record();
    });
    this.received.value = localInput(nowMs());
    this.root = h('section', { class: 'panel', 'aria-labelledby': 'public-title' },
      h('h2', { id: 'public-title' }, 'Public questions and statements'),
      this.rulesText, form, this.outcome,
      h('h3', {}, 'Received for this meeting'), this.list);
  }

  show(meetingId: string): void {
    if (meetingId !== this.meetingId) replaceChildren(this.outcome);
    this.meetingId = meetingId;
    const { client } = this.ctx;
    const rules = client.rules();
    const dl = client.publicDeadline(meetingId);
    const deadline = isError(dl) ? 'not known (the meeting has no date)' : ukTime(dl.deadline);
    this.rulesText.textContent = `The panel’s rules: at most ${rules.publicMaxWords} words; ` +
      `${rules.publicPerPerson === 1 ? 'one question or statement' : `${rules.publicPerPerson} submissions`} per person per meeting; ` +
      `the first ${rules.publicAcceptFirst} questions and the first ${rules.publicAcceptFirst} statements are accepted; ` +
      `deadline ${deadline}. Everything received is kept.`;
    const subs = rows(client.submissions(meetingId), this.ctx.readError);
    replaceChildren(this.list, subs.length ? subs.map((s) => h('li', { class: `submission ${s.accepted ? 'accepted' : 'refused'}`, 'data-submission': s.id },
      h('p', { class: 'cq-head' }, h('strong', {}, s.name), ` · ${s.kind === 'statement' ? 'Statement' : 'Question'} · ${s.words} words · received ${when(s.receivedAt)}`),
      h('p', { class: 'decision' }, decision(s)),
      h('details', {}, h('summary', {}, 'Text'), h('p', { class: 'body' }, s.body)))) : h('li', { class: 'empty' }, 'Nothing received yet.'));
  }

  private record(): void {
    const receivedAt = this.received.value ? new Date(this.received.value).getTime() : nowMs();
    const r = this.ctx.write('Not recorded', () => this.ctx.client.recordSubmission({
      meeting: this.meetingId, name: this.name.value.trim(), kind: this.kind.value as 'question' | 'statement',
      body: this.body.value.trim(), receivedAt,
    }, nowMs()));
    if (failed(r)) {
      this.error.textContent = r.error;
      return;
    }
    this.error.textContent = '';
    const s = r.ok;
    replaceChildren(this.outcome, h('p', { class: s.accepted ? 'saved' : 'refusal' },
      `Recorded the ${s.kind} from ${s.name} (${s.words} words). ${decision(s)}`));
    this.name.value = this.body.value = '';
    this.received.value = localInput(nowMs());
  }
}

function decision(s: Submission): string {
  return s.accepted ? 'Accepted.' : `Not accepted: ${s.reason}.`;
}

function ukTime(local: string): string {
  // "YYYY-MM-DD HH:MM", UK local time, as the core gives it.
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})$/.exec(local);
  if (!m) return local;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return `${m[4]} on ${d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })} (UK time)`;
}

function when(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { timeZone: 'Europe/London', dateStyle: 'medium', timeStyle: 'short' });
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
