// The chair's consolidation board: the members' drafts grouped by item and
// priority; merge the chosen drafts into one question (or drag a draft by its
// handle onto a question of the list: pointer events, so a finger, a pen or a
// mouse), with provenance shown; split, reorder, assign the
// question lead and section; hold a draft over; export the list as Markdown
// or printable HTML. Ordering keys, provenance and the export are the core's.

import { nowMs, today as todayDate } from '../clock';
import { rows, type Consolidated, type Item, type Meeting, type Priority, type Question } from '../core';
import { failed, isChair, type Ctx, type View } from '../ctx';
import { h, replaceChildren, showRefusal, userText } from '../dom';
import { SECTIONS, dateLabel, statusLabel } from '../labels';
import { offerUndo } from '../undo';

// Near the top or bottom edge of the window while dragging, the page scrolls
// (in portrait the final list is below the drafts).
const EDGE_PX = 64;
const SCROLL_PX = 14;

// A draft being dragged by its handle: the pointer, a floating copy of the
// card, and the question of the list under the pointer.
interface Drag {
  qid: string;
  pointer: number;
  ghost: HTMLElement;
  dx: number;
  dy: number;
  x: number;
  y: number;
  over: HTMLElement | null;
  frame: number;
}

export class BoardView implements View {
  readonly root: HTMLElement;
  private readonly meetingSelect = h('select', { id: 'board-meeting', name: 'meeting' });
  private readonly drafts = h('div', { class: 'board-drafts' });
  private readonly list = h('ol', { class: 'board-list', 'aria-label': 'Final question list' });
  private readonly status = h('p', { class: 'error', role: 'alert', id: 'board-error' });
  private readonly exportOut = h('div', { class: 'export' });
  private readonly chosen = new Set<string>();
  // Drafts put together by the chair, not merged yet (the core's groups).
  private readonly groupList = h('ol', { class: 'board-groups', 'aria-label': 'Groups not merged yet' });
  // A group's wording being written, kept across updates.
  private readonly groupBodies = new Map<string, HTMLTextAreaElement>();
  // The merge form, kept across updates.
  private readonly mergeBody = h('textarea', { dir: 'auto', id: 'merge-body', name: 'body', rows: 4 });
  private readonly mergeSection = h('select', { id: 'merge-section', name: 'section' }, SECTIONS.map((s) => h('option', { value: s }, s)));
  private readonly mergeLead = h('select', { id: 'merge-lead', name: 'lead' });
  private readonly mergeLabel = h('input', { id: 'merge-label', name: 'label', placeholder: 'e.g. Priority Two (Sherry)' });
  private readonly mergePriority = h('select', { id: 'merge-priority', name: 'priority' });
  private readonly mergeCount = h('p', { class: 'meta', id: 'merge-count' });
  private meetingId: string;
  private questions: Question[] = [];
  private consolidated: Consolidated[] = [];
  private drag: Drag | null = null;

  constructor(private readonly ctx: Ctx, meetingId: string) {
    this.meetingId = meetingId;
    this.meetingSelect.addEventListener('change', () => this.ctx.navigate(`#/board/${this.meetingSelect.value}`));
    const merge = h('form', { class: 'panel merge-form', 'aria-labelledby': 'merge-title' },
      h('h2', { id: 'merge-title' }, 'Merge into one question'),
      this.mergeCount,
      field('merge-body', 'Wording put to the Commissioner', this.mergeBody),
      h('div', { class: 'field-row' },
        field('merge-section', 'Section', this.mergeSection),
        field('merge-lead', 'Question lead', this.mergeLead),
        field('merge-label', 'Lead label', this.mergeLabel),
        field('merge-priority', 'Priority', this.mergePriority)),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Add to the final list'),
        h('button', { type: 'button', id: 'group-drafts', onclick: () => this.group() }, 'Group without merging'),
        h('button', { type: 'button', onclick: () => { this.chosen.clear(); this.mergeBody.value = ''; this.update(); } }, 'Clear choice')));
    merge.addEventListener('submit', (e) => {
      e.preventDefault();
      this.consolidate();
    });
    this.root = h('div', { class: 'board' },
      h('section', { class: 'panel', 'aria-labelledby': 'board-title' },
        h('h1', { id: 'board-title' }, 'Question board'),
        h('div', { class: 'field' }, h('label', { for: 'board-meeting' }, 'Meeting'), this.meetingSelect),
        this.status),
      h('div', { class: 'board-columns' },
        h('section', { class: 'panel', 'aria-labelledby': 'drafts-title' },
          h('h2', { id: 'drafts-title' }, 'Members’ drafts'),
          h('p', { class: 'hint' }, 'Choose drafts to merge, or drag a draft by its handle (⠿) onto a question of the final list.'),
          this.drafts),
        h('div', {},
          merge,
          h('section', { class: 'panel', 'aria-labelledby': 'groups-title' },
            h('h2', { id: 'groups-title' }, 'Groups not merged yet'),
            h('p', { class: 'hint' }, 'Drafts put together keep their status until you merge the group into the final list.'),
            this.groupList),
          h('section', { class: 'panel', 'aria-labelledby': 'list-title' },
            h('h2', { id: 'list-title' }, 'Final question list'), this.list,
            h('div', { class: 'actions' },
              h('button', { type: 'button', onclick: () => this.export('markdown') }, 'Export as Markdown'),
              h('button', { type: 'button', onclick: () => this.export('html') }, 'Printable HTML')),
            this.exportOut))),
    );
  }

  update(): void {
    const { client } = this.ctx;
    if (!isChair(this.ctx.role)) {
      replaceChildren(this.root, h('section', { class: 'panel narrow' }, h('h1', {}, 'Question board'),
        h('p', {}, 'Only the chair and the vice-chair consolidate the panel’s questions.')));
      return;
    }
    const meetings = rows(client.meetings(), this.ctx.readError);
    if (!meetings.some((m) => m.id === this.meetingId)) this.meetingId = pickMeeting(meetings)?.id ?? '';
    fillSelect(this.meetingSelect, meetings.map((m) => [m.id, `${m.title || 'Meeting'}, ${dateLabel(m.date)}`]), this.meetingId);
    const priorities = rows(client.priorities(), this.ctx.readError);
    fillSelect(this.mergeLead, [['', 'Choose…'], ...this.ctx.members.filter((m) => m.role !== 'clerk' && m.role !== 'officer').map((m) => [m.id, m.name] as [string, string])], this.mergeLead.value);
    fillSelect(this.mergePriority, [['', 'None'], ...priorities.map((p) => [p.id, `${p.number}. ${p.title}`] as [string, string])], this.mergePriority.value);
    if (!this.meetingId) {
      replaceChildren(this.drafts, h('p', { class: 'empty' }, 'No meetings yet.'));
      return;
    }
    const items = rows(client.items(this.meetingId, true), this.ctx.readError);
    this.questions = rows(client.questions(this.meetingId), this.ctx.readError);
    const list = rows(client.consolidatedList(this.meetingId), this.ctx.readError);
    for (const id of [...this.chosen]) if (!this.questions.some((q) => q.id === id)) this.chosen.delete(id);
    this.mergeCount.textContent = this.chosen.size
      ? `${this.chosen.size} draft${this.chosen.size === 1 ? '' : 's'} chosen.` : 'Choose drafts on the left, or write a question of the chair’s own.';
    const groups = rows(client.groups(this.meetingId), this.ctx.readError);
    this.renderDrafts(items, priorities, groups);
    this.renderGroups(groups);
    this.renderList(list, priorities);
  }

  private renderGroups(groups: Consolidated[]): void {
    for (const id of [...this.groupBodies.keys()]) if (!groups.some((g) => g.id === id)) this.groupBodies.delete(id);
    replaceChildren(this.groupList, groups.length ? groups.map((g) => {
      const label = `group ${g.number}`;
      let body = this.groupBodies.get(g.id);
      if (!body) {
        body = h('textarea', { dir: 'auto', id: `group-body-${g.id}`, rows: 4 });
        body.value = g.sources.map((id) => this.questions.find((q) => q.id === id)?.body ?? '').filter(Boolean).join('\n\n');
        this.groupBodies.set(g.id, body);
      }
      const wording = body;
      const sources = g.sources.map((id) => this.questions.find((q) => q.id === id)).filter((q): q is Question => !!q);
      return h('li', { class: 'group', 'data-group': g.id },
        h('p', { class: 'cq-head' }, h('strong', {}, `Group ${g.number}`), ` · ${sources.length} drafts`),
        h('ul', {}, sources.map((q) => h('li', {}, h('span', { class: 'author' }, `${this.ctx.name(q.author)}: `), q.body,
          h('span', { class: 'meta' }, ` (${statusLabel(q.status)})`)))),
        field(`group-body-${g.id}`, `Wording for ${label}`, wording),
        h('div', { class: 'actions' },
          h('button', {
            type: 'button', class: 'primary', 'aria-label': `Merge into the list: ${label}`,
            onclick: (e: Event) => {
              if (this.report(this.ctx.write('Not merged', () => this.ctx.client.mergeGroup(g.id, {
                body: wording.value.trim(), section: this.mergeSection.value, lead: this.mergeLead.value,
                leadLabel: this.mergeLabel.value.trim(), priority: this.mergePriority.value,
              }, nowMs())), e.currentTarget)) {
                this.groupBodies.delete(g.id);
                this.resetMergeForm();
                offerUndo(`Group ${g.number} merged into the list.`,
                  () => this.ctx.write('Not undone', () => this.ctx.client.unmerge(g.id, true, nowMs())));
              }
            },
          }, 'Merge into the list'),
          h('button', {
            type: 'button', 'aria-label': `Ungroup ${label}`,
            onclick: (e: Event) => this.report(this.ctx.write('Not ungrouped', () => this.ctx.client.removeConsolidated(g.id, nowMs())), e.currentTarget),
          }, 'Ungroup')));
    }) : h('li', { class: 'empty' }, 'No groups. Choose two or more drafts and press “Group without merging”.'));
  }

  private group(): void {
    const ok = this.report(this.ctx.write('Not grouped', () => this.ctx.client.groupDrafts(this.meetingId, [...this.chosen], nowMs())), this.mergeCount);
    if (ok) {
      this.chosen.clear();
      this.mergeBody.value = '';
    }
  }

  private renderDrafts(items: Item[], priorities: Priority[], chairGroups: Consolidated[]): void {
    const groupOf = (qid: string) => chairGroups.find((g) => g.sources.includes(qid));
    const open = this.questions.filter((q) => q.status !== 'withdrawn');
    const groups = items.map((it) => ({ it, qs: open.filter((q) => q.item === it.id) })).filter((g) => g.qs.length);
    const pname = (id: string) => priorities.find((p) => p.id === id);
    replaceChildren(this.drafts, groups.length ? groups.map(({ it, qs }) => h('section', { class: 'draft-group' },
      h('h3', {}, `${it.number}. ${it.title}`),
      h('ul', { class: 'questions' }, qs.map((q) => {
        const cb = h('input', { type: 'checkbox', id: `choose-${q.id}`, checked: this.chosen.has(q.id) });
        cb.addEventListener('change', () => {
          if (cb.checked) this.chosen.add(q.id);
          else this.chosen.delete(q.id);
          this.mergeBody.value = [...this.chosen].map((id) => this.questions.find((x) => x.id === id)?.body ?? '').join('\n\n');
          this.update();
        });
        const p = pname(q.priority);
        // The keyboard's and screen reader's way is the checkbox; the handle
        // is for the pointer only.
        const handle = h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: 'Drag onto a question of the final list' }, '⠿');
        handle.addEventListener('pointerdown', (e) => this.startDrag(e, q.id, li));
        const li = h('li', { class: `question draft-card status-${q.status}`, 'data-question': q.id },
          h('div', { class: 'choose' }, handle, cb, h('label', { for: `choose-${q.id}` }, userText('span', q.body, { class: 'body' }))),
          h('p', { class: 'byline' }, h('span', { class: 'author' }, this.ctx.name(q.author)),
            p ? ` · Priority ${p.number}` : '', ` · ${q.section} · `, statusLabel(q.status),
            q.outcome && q.outcome !== q.status ? ` · ${q.outcome}` : '',
            groupOf(q.id) ? ` · in group ${groupOf(q.id)!.number}` : ''),
          q.status === 'held_over' ? null : h('div', { class: 'actions' },
            h('button', {
              type: 'button', 'aria-label': `Hold over: ${q.body.slice(0, 50)}`,
              onclick: (e: Event) => this.report(this.ctx.write('Not held over', () => this.ctx.client.setQuestionStatus(q.id, 'held_over', nowMs())), e.currentTarget),
            }, 'Hold over')));
        return li;
      })))) : h('p', { class: 'empty' }, 'No drafts for this meeting yet.'));
  }

  private renderList(list: Consolidated[], priorities: Priority[]): void {
    this.consolidated = list;
    replaceChildren(this.list, list.length ? list.map((c, i) => {
      const sources = c.sources.map((id) => this.questions.find((q) => q.id === id)).filter((q): q is Question => !!q);
      const p = priorities.find((x) => x.id === c.priority);
      const li = h('li', { class: 'consolidated', 'data-consolidated': c.id },
        h('p', { class: 'cq-head' }, h('strong', {}, `Q${c.number}`), ` · ${c.section}`,
          c.lead || c.leadLabel ? ` · Question Lead – ${c.leadLabel || this.ctx.name(c.lead)}` : '', p ? ` · Priority ${p.number}` : ''),
        userText('p', c.body, { class: 'body' }),
        // A draft may sit in two questions (the chair's choice): said, not hidden.
        sources.map((q) => {
          const also = list.filter((o) => o.id !== c.id && o.sources.includes(q.id)).map((o) => `Q${o.number}`);
          return also.length
            ? h('p', { class: 'notice in-two' }, `${this.ctx.name(q.author)}’s draft is also in ${also.join(' and ')}.`)
            : null;
        }),
        sources.length ? h('details', { class: 'provenance' },
          h('summary', {}, `From ${sources.length} draft${sources.length === 1 ? '' : 's'}: ${[...new Set(sources.map((q) => this.ctx.name(q.author)))].join(', ')}`),
          h('ul', {}, sources.map((q) => h('li', {}, h('span', { class: 'author' }, `${this.ctx.name(q.author)}: `), userText('span', q.body))))) : null,
        h('div', { class: 'actions' },
          h('button', { type: 'button', disabled: i === 0, 'aria-label': `Move up Q${c.number}`, onclick: () => this.move(list, i, -1) }, 'Move up'),
          h('button', { type: 'button', disabled: i === list.length - 1, 'aria-label': `Move down Q${c.number}`, onclick: () => this.move(list, i, 1) }, 'Move down'),
          h('button', { type: 'button', 'aria-label': `Edit Q${c.number}`, onclick: () => this.edit(li, c) }, 'Edit'),
          h('button', { type: 'button', 'aria-label': `Split Q${c.number}`, onclick: () => this.split(li, c) }, 'Split'),
          h('button', {
            type: 'button', 'aria-label': `Remove Q${c.number}`,
            onclick: (e: Event) => this.report(this.ctx.write('Not removed', () => this.ctx.client.removeConsolidated(c.id, nowMs())), e.currentTarget),
          }, 'Remove')),
      );
      return li;
    }) : h('li', { class: 'empty' }, 'The final list is empty.'));
  }

  // ---- drag a draft onto a question of the list (pointer events) ----------
  // Listeners are on the window, so a re-render during the drag (a sync
  // arriving) does not end it; the drop target is found again by id.

  private startDrag(e: PointerEvent, qid: string, card: HTMLElement): void {
    if (this.drag || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    const r = card.getBoundingClientRect();
    const ghost = card.cloneNode(true) as HTMLElement;
    ghost.classList.add('drag-ghost');
    ghost.setAttribute('aria-hidden', 'true');
    ghost.querySelectorAll('[id]').forEach((el) => el.removeAttribute('id'));
    ghost.style.width = `${r.width}px`;
    this.drag = { qid, pointer: e.pointerId, ghost, dx: e.clientX - r.left, dy: e.clientY - r.top, x: e.clientX, y: e.clientY, over: null, frame: 0 };
    card.classList.add('dragging');
    document.body.append(ghost);
    this.placeGhost();
    window.addEventListener('pointermove', this.onDragMove);
    window.addEventListener('pointerup', this.onDragEnd);
    window.addEventListener('pointercancel', this.onDragEnd);
    this.drag.frame = requestAnimationFrame(this.autoScroll);
  }

  private readonly onDragMove = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointer) return;
    e.preventDefault();
    d.x = e.clientX;
    d.y = e.clientY;
    this.placeGhost();
  };

  private readonly onDragEnd = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || e.pointerId !== d.pointer) return;
    d.x = e.clientX;
    d.y = e.clientY;
    const target = e.type === 'pointerup' ? this.dropTarget() : null;
    this.endDrag();
    const c = target && this.consolidated.find((x) => x.id === target.dataset.consolidated);
    if (c) this.addSource(c, d.qid);
  };

  private readonly autoScroll = (): void => {
    const d = this.drag;
    if (!d) return;
    const dir = d.y < EDGE_PX ? -1 : d.y > window.innerHeight - EDGE_PX ? 1 : 0;
    if (dir) {
      window.scrollBy(0, dir * SCROLL_PX);
      this.placeGhost();
    }
    d.frame = requestAnimationFrame(this.autoScroll);
  };

  // The ghost follows the pointer; the question under it is highlighted.
  private placeGhost(): void {
    const d = this.drag!;
    d.ghost.style.transform = `translate(${d.x - d.dx}px, ${d.y - d.dy}px)`;
    const over = this.dropTarget();
    if (over !== d.over) {
      d.over?.classList.remove('drop');
      over?.classList.add('drop');
      d.over = over;
    }
  }

  private dropTarget(): HTMLElement | null {
    const el = document.elementFromPoint(this.drag!.x, this.drag!.y);
    const li = el?.closest<HTMLElement>('.consolidated[data-consolidated]');
    return li && this.list.contains(li) ? li : null;
  }

  private endDrag(): void {
    const d = this.drag;
    if (!d) return;
    cancelAnimationFrame(d.frame);
    window.removeEventListener('pointermove', this.onDragMove);
    window.removeEventListener('pointerup', this.onDragEnd);
    window.removeEventListener('pointercancel', this.onDragEnd);
    d.ghost.remove();
    d.over?.classList.remove('drop');
    this.root.querySelectorAll('.draft-card.dragging').forEach((el) => el.classList.remove('dragging'));
    this.drag = null;
  }

  // `from`: the control used, so a refusal shows next to it.
  private report(r: { ok: unknown } | { error: string }, from?: EventTarget | Element | null): boolean {
    showRefusal(this.status, failed(r) ? r.error : '', from instanceof Element ? from : null);
    return !failed(r);
  }

  private consolidate(): void {
    const r = this.ctx.write('Not added to the list', () => this.ctx.client.consolidate({
      meeting: this.meetingId, sources: [...this.chosen], body: this.mergeBody.value.trim(),
      section: this.mergeSection.value, lead: this.mergeLead.value, leadLabel: this.mergeLabel.value.trim(),
      priority: this.mergePriority.value,
    }, nowMs()));
    if (this.report(r, this.mergeCount) && !failed(r)) {
      const merged = this.chosen.size;
      const id = r.ok.id;
      offerUndo(merged > 1 ? `${merged} drafts merged into the list.` : 'Added to the list.',
        () => this.ctx.write('Not undone', () => this.ctx.client.unmerge(id, false, nowMs())));
      this.chosen.clear();
      this.mergeBody.value = '';
      this.resetMergeForm();
    }
  }

  // After a merge the form starts afresh: the next question must not
  // silently get the last one's lead or section.
  private resetMergeForm(): void {
    this.mergeLabel.value = '';
    this.mergeLead.value = '';
    this.mergeSection.value = SECTIONS[0];
  }

  // A draft dropped on a question of the list joins its provenance.
  private addSource(c: Consolidated, qid: string): void {
    if (c.sources.includes(qid)) return;
    const at = this.list.querySelector(`[data-consolidated="${c.id}"] .cq-head`);
    if (this.report(this.ctx.write('Not merged', () => this.ctx.client.editConsolidated(c.id, {
      meeting: this.meetingId, sources: [...c.sources, qid], body: '',
    }, nowMs())), at)) {
      this.report(this.ctx.write('Merged, but the draft’s status was not updated',
        () => this.ctx.client.setQuestionStatus(qid, 'consolidated', nowMs())), at);
    }
  }

  private move(list: Consolidated[], i: number, dir: -1 | 1): void {
    const c = list[i];
    const j = i + dir;
    // Between the new neighbours: after list[j] going down, before list[j] going up.
    const after = dir === 1 ? list[j].id : (list[j - 1]?.id ?? '');
    const before = dir === 1 ? (list[j + 1]?.id ?? '') : list[j].id;
    this.report(this.ctx.write('Not moved', () => this.ctx.client.moveConsolidated(c.id, after, before, nowMs())),
      this.list.querySelector(`[data-consolidated="${c.id}"] .cq-head`));
    queueMicrotask(() => document.querySelector<HTMLElement>(`[data-consolidated="${c.id}"] button[aria-label^="Move "]:not([disabled])`)?.focus());
  }

  private edit(li: HTMLElement, c: Consolidated): void {
    const body = h('textarea', { dir: 'auto', id: `edit-${c.id}`, rows: 4 });
    body.value = c.body;
    const section = h('select', { id: `edit-section-${c.id}` }, SECTIONS.map((s) => h('option', { value: s }, s)));
    section.value = c.section;
    const lead = h('select', { id: `edit-lead-${c.id}` });
    fillSelect(lead, [['', 'Choose…'], ...this.ctx.members.filter((m) => m.role !== 'clerk' && m.role !== 'officer').map((m) => [m.id, m.name] as [string, string])], c.lead);
    const label = h('input', { id: `edit-label-${c.id}` });
    label.value = c.leadLabel;
    const form = h('form', { class: 'edit-form' },
      field(`edit-${c.id}`, `Wording of Q${c.number}`, body),
      h('div', { class: 'field-row' }, field(`edit-section-${c.id}`, 'Section', section), field(`edit-lead-${c.id}`, 'Question lead', lead),
        field(`edit-label-${c.id}`, 'Lead label', label)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
        h('button', { type: 'button', onclick: () => this.update() }, 'Cancel')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.report(this.ctx.write('Not saved', () => this.ctx.client.editConsolidated(c.id, {
        meeting: this.meetingId, sources: [], body: body.value.trim(), section: section.value, lead: lead.value, leadLabel: label.value.trim(),
      }, nowMs())), body);
    });
    li.append(form);
    body.focus();
  }

  private split(li: HTMLElement, c: Consolidated): void {
    const parts = h('textarea', { dir: 'auto', id: `split-${c.id}`, rows: 6 });
    parts.value = c.body;
    const form = h('form', { class: 'edit-form' },
      field(`split-${c.id}`, `Split Q${c.number}: one question per paragraph (leave a blank line between them)`, parts),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Split'),
        h('button', { type: 'button', onclick: () => this.update() }, 'Cancel')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const bodies = parts.value.split(/\n\s*\n/).map((s) => s.trim()).filter(Boolean);
      this.report(this.ctx.write('Not split', () => this.ctx.client.splitConsolidated(c.id, bodies, nowMs())), parts);
    });
    li.append(form);
    parts.focus();
  }

  private export(format: 'markdown' | 'html'): void {
    const r = this.ctx.client.exportList(this.meetingId, format);
    if ('error' in r && r.error) {
      showRefusal(this.status, `The list could not be exported: ${r.error.message}`, this.exportOut);
      return;
    }
    const text = (r as { text: string }).text;
    const blob = new Blob([text], { type: format === 'html' ? 'text/html' : 'text/markdown' });
    const url = URL.createObjectURL(blob);
    const name = `questions-${this.meetingId.slice(0, 8)}.${format === 'html' ? 'html' : 'md'}`;
    replaceChildren(this.exportOut,
      h('p', {}, h('a', { href: url, download: name, class: 'button' }, `Download ${name}`),
        format === 'html' ? h('a', { href: url, target: '_blank', rel: 'noopener', class: 'button' }, 'Open to print') : null),
      format === 'markdown' ? h('pre', { class: 'export-text', tabindex: '0', 'aria-label': 'The list as Markdown' }, text) : null);
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function fillSelect(sel: HTMLSelectElement, options: [string, string][], value: string): void {
  const sig = options.map((o) => o.join('=')).join('|');
  if (sel.dataset.sig !== sig) {
    replaceChildren(sel, options.map(([v, l]) => h('option', { value: v }, l)));
    sel.dataset.sig = sig;
  }
  if (options.some(([v]) => v === value)) sel.value = value;
}

export function pickMeeting(meetings: Meeting[]): Meeting | undefined {
  // The next meeting from today, else the latest one.
  const today = todayDate();
  const sorted = [...meetings].sort((a, b) => a.date.localeCompare(b.date));
  return sorted.find((m) => m.date >= today) ?? sorted[sorted.length - 1];
}
