// One meeting: details, the agenda, the chosen item with its questions and the
// draft form (section, target, priority), my questions with what became of
// them, the meeting's open actions, and every question of the meeting.

import { nowMs } from '../clock';
import { rows, type Consolidated, type Item, type Meeting, type Priority, type Question, type Response } from '../core';
import { failed, isPanelMember, type Ctx, type View } from '../ctx';
import { h, replaceChildren, showRefusal, userText } from '../dom';
import { SECTIONS, TARGETS, dateLabel, pagesLabel, statusLabel, timeAgo } from '../labels';
import { describe } from '../store';
import { offerUndo } from '../undo';

// A draft started elsewhere (from a highlight in the reader): its item and text.
let seed: { item: string; body: string } | null = null;
export function seedDraft(item: string, body: string): void {
  seed = { item, body };
}

const reducedMotion = (): boolean => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export class MeetingView implements View {
  readonly root: HTMLElement;
  private readonly heading = h('h1', { id: 'meeting-title' });
  private readonly details = h('dl', { class: 'meeting-details' });
  private readonly links = h('div', { class: 'actions' });
  private readonly agenda = h('ol', { class: 'agenda', 'aria-label': 'Agenda items' });
  private readonly itemPanel = h('section', { class: 'panel item-panel', id: 'item-panel', 'aria-label': 'Selected agenda item' });
  private readonly mine = h('div', {});
  private readonly actionsList = h('div', {});
  private readonly allQuestions = h('div', {});
  private readonly finalList = h('div', {});
  private editing: string | null = null;  // the own draft whose wording is open for editing
  // The chosen item's parts, kept across updates so the form keeps its text.
  private itemId: string | null = null;
  private itemHeader: HTMLElement | null = null;
  private itemQuestions: HTMLElement | null = null;
  private prioritySelect: HTMLSelectElement | null = null;
  private selected: string | null;

  constructor(private readonly ctx: Ctx, readonly meetingId: string, item: string | null) {
    this.selected = item;
    this.root = h('div', { class: 'meeting' },
      h('section', { class: 'panel meeting-head', 'aria-labelledby': 'meeting-title' },
        h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'All meetings')),
        this.heading, this.details, this.links),
      h('div', { class: 'columns' },
        h('nav', { class: 'panel agenda-panel', 'aria-labelledby': 'agenda-title' },
          h('h2', { id: 'agenda-title' }, 'Agenda'), this.agenda),
        this.itemPanel),
      h('section', { class: 'panel my-questions', 'aria-labelledby': 'mine-title' },
        h('h2', { id: 'mine-title' }, 'My questions'), this.mine),
      h('section', { class: 'panel final-list', 'aria-labelledby': 'final-title' },
        h('h2', { id: 'final-title' }, 'The final question list'), this.finalList),
      h('section', { class: 'panel open-actions', 'aria-labelledby': 'actions-title' },
        h('h2', { id: 'actions-title' }, 'Actions'), this.actionsList),
      h('section', { class: 'panel all-questions', 'aria-labelledby': 'all-q-title' },
        h('h2', { id: 'all-q-title' }, 'All questions in this meeting'), this.allQuestions),
    );
  }

  selectItem(id: string | null, focus = true): void {
    this.selected = id;
    this.update();
    if (focus && id) {
      document.getElementById('item-title')?.focus({ preventScroll: true });
      // In portrait the panel is below the agenda: bring it into view.
      if (window.matchMedia('(orientation: portrait)').matches) {
        this.itemPanel.scrollIntoView({ behavior: reducedMotion() ? 'auto' : 'smooth', block: 'start' });
      }
    }
  }

  update(): void {
    const { client } = this.ctx;
    const meeting = rows(client.meetings(), this.ctx.readError).find((m) => m.id === this.meetingId);
    if (!meeting) {
      replaceChildren(this.root, h('section', { class: 'panel narrow' },
        h('h1', {}, 'Meeting not found'),
        h('p', {}, 'This meeting is not on this tablet (yet). It appears once the tablet has synced with the server.'),
        h('p', {}, h('a', { href: '#/' }, 'Back to all meetings'))));
      return;
    }
    const items = rows(client.items(meeting.id, false), this.ctx.readError);
    const questions = rows(client.questions(meeting.id), this.ctx.readError);
    const priorities = rows(client.priorities(), this.ctx.readError);
    this.renderHead(meeting, items.length > 0);
    if (this.selected && !items.some((i) => i.id === this.selected)) this.selected = null;

    const counts = new Map<string, number>();
    for (const q of questions) counts.set(q.item, (counts.get(q.item) ?? 0) + 1);
    replaceChildren(this.agenda, items.map((it) => {
      const n = counts.get(it.id) ?? 0;
      return h('li', {},
        h('button', {
          type: 'button', class: 'agenda-item', 'aria-pressed': String(it.id === this.selected),
          'data-item': it.id, onclick: () => this.ctx.navigate(`#/meeting/${meeting.id}/item/${it.id}`),
        },
        h('span', { class: 'num' }, it.number),
        h('span', { class: 'title' }, it.title, it.exempt ? h('span', { class: 'tag' }, ' Exempt') : null),
        h('span', { class: 'meta' }, [pagesLabel(it.pages), n ? `${n} question${n === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ')),
        ));
    }));

    this.renderItemPanel(meeting, items, questions, priorities);
    const list = rows(client.consolidatedList(meeting.id), this.ctx.readError);
    const answers = rows(client.responses(meeting.id), this.ctx.readError);
    this.renderMine(items, questions, list, answers);
    this.renderFinal(list, answers);
    this.renderActions(meeting);
    replaceChildren(this.allQuestions, items.map((it) => {
      const qs = questions.filter((q) => q.item === it.id);
      return h('section', { class: 'item-questions' },
        h('h3', {}, `${it.number}. ${it.title}`),
        qs.length ? this.questionList(qs) : h('p', { class: 'empty' }, 'No questions yet.'));
    }));
  }

  private renderHead(meeting: Meeting, hasItems: boolean): void {
    this.heading.textContent = meeting.title || 'Meeting';
    replaceChildren(this.details,
      detail('Date', dateLabel(meeting.date)),
      detail('Time', meeting.time),
      detail('Venue', meeting.venue),
      detail('Chair', meeting.chair),
      detail('Public questions by', meeting.publicDeadline),
    );
    replaceChildren(this.links, hasItems && meeting.pack
      ? h('a', { class: 'button', href: `#/read/${meeting.id}` }, 'Read the pack')
      : null);
  }

  private author(q: Question): string {
    return this.ctx.name(q.author) + (q.author === this.ctx.me ? ' (you)' : '');
  }

  private questionList(qs: Question[]): HTMLElement {
    const sorted = [...qs].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    return h('ul', { class: 'questions' }, sorted.map((q) =>
      h('li', { class: 'question', 'data-question': q.id },
        userText('p', q.body, { class: 'body' }),
        h('p', { class: 'byline' },
          h('span', { class: 'author' }, this.author(q)),
          ' · ', h('span', { class: `q-status q-status-${q.status}` }, statusLabel(q.status)),
          q.outcome ? h('span', { class: 'outcome' }, ` · ${q.outcome}`) : null,
          q.createdAt ? ` · ${timeAgo(q.createdAt)}` : ''),
      )));
  }

  private renderItemPanel(meeting: Meeting, items: Item[], questions: Question[], priorities: Priority[]): void {
    const v = this.itemPanel;
    const item = items.find((i) => i.id === this.selected);
    v.removeAttribute(item ? 'aria-label' : 'aria-labelledby');
    if (item) v.setAttribute('aria-labelledby', 'item-title');
    else v.setAttribute('aria-label', 'Selected agenda item');
    if (!item) {
      this.itemId = null;
      this.itemHeader = this.itemQuestions = null;
      replaceChildren(v,
        h('h2', {}, 'Questions'),
        h('p', { class: 'notice' }, 'Choose an agenda item to read its questions and draft your own.'));
      return;
    }
    if (this.itemId !== item.id) {
      this.itemId = item.id;
      this.itemHeader = h('div', {});
      this.itemQuestions = h('div', {});
      replaceChildren(v, this.itemHeader, this.itemQuestions,
        isPanelMember(this.ctx.role) ? this.buildForm(item.id, priorities) : null);
    }
    this.refreshPriorities(priorities);
    replaceChildren(this.itemHeader!,
      h('h2', { id: 'item-title', tabindex: '-1' }, `${item.number}. ${item.title}`),
      item.pages || item.exempt
        ? h('p', { class: 'meta' }, [pagesLabel(item.pages), item.exempt ? 'Exempt item' : ''].filter(Boolean).join(' · '))
        : null,
      item.description ? h('p', { class: 'description' }, item.description) : null,
      meeting.pack && item.firstPage
        ? h('p', {}, h('a', { class: 'button', href: `#/read/${meeting.id}/${item.id}` }, `Read item ${item.number}’s papers`))
        : null,
    );
    const qs = questions.filter((q) => q.item === item.id);
    replaceChildren(this.itemQuestions!,
      h('h3', {}, 'Questions on this item'),
      qs.length ? this.questionList(qs) : h('p', { class: 'empty' }, 'No questions yet. Be the first to draft one.'));
  }

  private refreshPriorities(priorities: Priority[]): void {
    const sel = this.prioritySelect;
    if (!sel) return;
    const want = ['', ...priorities.map((p) => p.id)];
    const have = [...sel.options].map((o) => o.value);
    if (want.join() === have.join()) return;
    const value = sel.value;
    replaceChildren(sel, h('option', { value: '' }, 'None'),
      priorities.map((p) => h('option', { value: p.id }, `${p.number}. ${p.title}`)));
    sel.value = value;
  }

  private buildForm(itemId: string, priorities: Priority[]): HTMLElement {
    const textarea = h('textarea', { dir: 'auto', id: 'question-body', name: 'body', rows: 5, 'aria-describedby': 'question-hint' });
    if (seed && seed.item === itemId) {
      textarea.value = seed.body;
      seed = null;
    }
    const section = select('question-section', SECTIONS);
    const target = select('question-target', TARGETS);
    this.prioritySelect = h('select', { id: 'question-priority', name: 'priority' });
    this.prioritySelect.append(h('option', { value: '' }, 'None'));
    this.refreshPriorities(priorities);
    const error = h('p', { class: 'error', role: 'alert', id: 'question-error' });
    const saved = h('p', { class: 'saved', role: 'status', id: 'question-saved' });
    const button = h('button', { type: 'submit', class: 'primary' }, 'Save draft');
    const form = h('form', { class: 'question-form', 'aria-labelledby': 'question-form-title' },
      h('h3', { id: 'question-form-title' }, 'Draft a question'),
      h('label', { for: 'question-body' }, 'Your question'),
      h('p', { class: 'hint', id: 'question-hint' }, 'Saved on this tablet at once; shared with the panel when online.'),
      textarea,
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'question-section' }, 'Section'), section),
        h('div', { class: 'field' }, h('label', { for: 'question-target' }, 'Put to'), target),
        h('div', { class: 'field' }, h('label', { for: 'question-priority' }, 'Plan priority'), this.prioritySelect)),
      error, h('div', { class: 'actions' }, button), saved,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (button.disabled) return;
      error.textContent = '';
      saved.textContent = '';
      const r = this.ctx.write('Your question was not saved', () => this.ctx.client.draftQuestion({
        item: itemId, body: textarea.value, section: section.value, target: target.value,
        priority: this.prioritySelect?.value ?? '',
      }, nowMs()));
      if (failed(r)) {
        error.textContent = r.error;
        textarea.focus();
        return;
      }
      textarea.value = '';
      button.disabled = true;
      this.ctx.saved()
        .then(() => { saved.textContent = 'Draft saved on this tablet.'; })
        .catch((e: unknown) => {
          error.textContent = `Your question is in the app but could not be stored on this tablet (${describe(e)}). Keep this page open while online so it reaches the server.`;
        })
        .finally(() => { button.disabled = false; });
    });
    return form;
  }

  // The chair's list as it stands, each question with its answer once recorded.
  private renderFinal(list: Consolidated[], answers: Response[]): void {
    replaceChildren(this.finalList, list.length
      ? h('ol', { class: 'questions final' }, list.map((c) => h('li', { class: 'question', 'data-consolidated': c.id },
        h('p', { class: 'cq-head' }, h('strong', {}, `Q${c.number}`), ` · ${c.section}`,
          c.lead || c.leadLabel ? ` · Question Lead – ${c.leadLabel || this.ctx.name(c.lead)}` : ''),
        userText('p', c.body, { class: 'body' }),
        answerOf(c, answers))))
      : h('p', { class: 'empty' }, 'The chair has not put the final list together yet.'));
  }

  private renderMine(items: Item[], questions: Question[], list: Consolidated[], answers: Response[]): void {
    const mine = questions.filter((q) => q.author === this.ctx.me);
    if (!mine.length) {
      replaceChildren(this.mine, h('p', { class: 'empty' }, 'You have not drafted a question for this meeting.'));
      return;
    }
    const itemName = (id: string) => {
      const it = items.find((i) => i.id === id);
      return it ? `${it.number}. ${it.title}` : 'an item no longer on the agenda';
    };
    const status = h('p', { class: 'error', role: 'alert', id: 'mine-error' });
    replaceChildren(this.mine, status, h('ul', { class: 'questions' }, mine.map((q) =>
      h('li', { class: 'question mine', 'data-question': q.id },
        this.editing === q.id ? this.editForm(q, status) : userText('p', q.body, { class: 'body' }),
        h('p', { class: 'byline' }, `On ${itemName(q.item)} · ${q.section} · to the ${q.target} · `,
          h('span', { class: `q-status q-status-${q.status}` }, statusLabel(q.status)),
          q.outcome ? h('strong', { class: 'outcome' }, ` · ${q.outcome}`) : null),
        // What it became: the list's question, its wording and its answer.
        list.filter((c) => c.sources.includes(q.id)).map((c) => h('div', { class: 'became', 'data-became': c.id },
          h('p', { class: 'meta' }, `Became Q${c.number} on the final list:`),
          userText('p', c.body, { class: 'body' }),
          answerOf(c, answers))),
        q.status === 'draft' && this.editing !== q.id
          ? h('div', { class: 'actions' },
            h('button', {
              type: 'button', 'aria-label': `Edit: ${q.body.slice(0, 60)}`,
              onclick: () => { this.editing = q.id; this.update(); document.getElementById(`edit-body-${q.id}`)?.focus(); },
            }, 'Edit'),
            h('button', {
              type: 'button', class: 'primary', 'aria-label': `Submit to the chair: ${q.body.slice(0, 60)}`,
              onclick: (e: Event) => {
                const r = this.ctx.write('Not submitted', () => this.ctx.client.submitQuestion(q.id, nowMs()));
                showRefusal(status, failed(r) ? r.error : '', e.currentTarget as Element);
              },
            }, 'Submit to the chair'),
            h('button', {
              type: 'button', 'aria-label': `Withdraw: ${q.body.slice(0, 60)}`,
              onclick: (e: Event) => {
                const r = this.ctx.write('Not withdrawn', () => this.ctx.client.setQuestionStatus(q.id, 'withdrawn', nowMs()));
                showRefusal(status, failed(r) ? r.error : '', e.currentTarget as Element);
                if (!failed(r)) {
                  offerUndo('Question withdrawn.',
                    () => this.ctx.write('Not back as a draft', () => this.ctx.client.setQuestionStatus(q.id, 'draft', nowMs())));
                }
              },
            }, 'Withdraw'))
          : null,
      ))));
  }

  // The author's own draft, edited in place (offline too: the edit is a text
  // edit of the draft's wording, merged with edits from their other tablets).
  private editForm(q: Question, status: HTMLElement): HTMLElement {
    const body = h('textarea', { dir: 'auto', id: `edit-body-${q.id}`, rows: 4, 'aria-label': 'Your question' });
    body.value = q.body;
    return h('div', { class: 'edit-draft' }, body, h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'primary',
        onclick: () => {
          const r = this.ctx.write('Not saved', () => this.ctx.client.editQuestion(q.id, { item: '', body: body.value, section: '', target: '', subparts: 0 }, nowMs()));
          showRefusal(status, failed(r) ? r.error : '', body);
          if (!failed(r)) {
            this.editing = null;
            this.update();
          }
        },
      }, 'Save'),
      h('button', { type: 'button', onclick: () => { this.editing = null; this.update(); } }, 'Cancel')));
  }

  private renderActions(meeting: Meeting): void {
    const acts = rows(this.ctx.client.actions(meeting.id), this.ctx.readError);
    replaceChildren(this.actionsList, acts.length
      ? h('ul', { class: 'plain-list' }, acts.map((a) => h('li', { class: 'action-row' },
        h('span', {}, a.text), ' ',
        h('span', { class: 'meta' }, [a.owner && `Owner: ${a.owner}`, a.due && `due ${dateLabel(a.due)}`,
          statusLabel(a.status || 'open'), a.carried ? 'carried from an earlier meeting' : ''].filter(Boolean).join(' · ')))))
      : h('p', { class: 'empty' }, 'No actions recorded.'));
  }
}

// A list question's answer: the words, and when it was given (the recording
// time) or that it came in writing.
function answerOf(c: Consolidated, answers: Response[]): HTMLElement | null {
  const a = answers.find((x) => x.consolidated === c.id);
  if (!a) return null;
  return h('div', { class: 'answer' },
    h('p', { class: 'meta' }, a.written ? 'Written answer' : `Answered at the meeting${a.recordingTime ? ` (recording ${a.recordingTime})` : ''}`),
    userText('p', a.text, { class: 'body' }));
}

function detail(term: string, value: string): HTMLElement[] {
  return value ? [h('dt', {}, term), h('dd', {}, value)] : [];
}

function select(id: string, options: readonly string[]): HTMLSelectElement {
  return h('select', { id, name: id }, options.map((o) => h('option', { value: o }, o)));
}
