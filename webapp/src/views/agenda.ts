// The clerk's corrections to a published agenda, beside the pack reader:
// rename, renumber, reorder and add items, mark one exempt, and choose an
// item's pages (here, or at the page markers while reading). Each is one core
// call (workflow add_item, rename_item, move_item, set_item_pages,
// set_item_exempt); the core checks the clerk's role and keeps the correction
// for the next version of the pack.

import { nowMs } from '../clock';
import type { Fallible, Item } from '../core';
import { failed, type Ctx } from '../ctx';
import { h, replaceChildren } from '../dom';

export class AgendaEditor {
  readonly root: HTMLElement;
  private readonly number = h('input', { id: 'agenda-number', name: 'number', autocomplete: 'off', size: 4 });
  private readonly title = h('input', { id: 'agenda-title', name: 'title', autocomplete: 'off' });
  private readonly exempt = h('input', { type: 'checkbox', id: 'agenda-exempt' });
  private readonly newNumber = h('input', { id: 'agenda-new-number', name: 'new-number', autocomplete: 'off', size: 4 });
  private readonly newTitle = h('input', { id: 'agenda-new-title', name: 'new-title', autocomplete: 'off' });
  // The item whose pages the clerk is choosing (at the page markers too).
  readonly target = h('select', { id: 'agenda-target', name: 'target' });
  private readonly first = h('input', { id: 'agenda-first', name: 'first', type: 'number', min: '1', inputmode: 'numeric' });
  private readonly last = h('input', { id: 'agenda-last', name: 'last', type: 'number', min: '1', inputmode: 'numeric' });
  private readonly error = h('p', { class: 'error', role: 'alert', id: 'agenda-error' });
  private items: Item[] = [];
  private current: Item | undefined;
  private shownItem = '';

  constructor(private readonly ctx: Ctx, private readonly meetingId: string) {
    const rename = h('form', { class: 'agenda-rename', 'aria-label': 'This item' },
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'agenda-number' }, 'No.'), this.number),
        h('div', { class: 'field grow' }, h('label', { for: 'agenda-title' }, 'Title'), this.title)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save number and title')));
    rename.addEventListener('submit', (e) => {
      e.preventDefault();
      const it = this.current;
      if (it) this.run('Not renamed', () => this.ctx.client.renameItem(it.id, this.number.value.trim(), this.title.value.trim(), nowMs()));
    });
    this.exempt.addEventListener('change', () => {
      const it = this.current;
      if (it) this.run('Not changed', () => this.ctx.client.setItemExempt(it.id, this.exempt.checked, nowMs()));
    });
    const add = h('form', { class: 'agenda-add', 'aria-label': 'Add an item' },
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'agenda-new-number' }, 'No.'), this.newNumber),
        h('div', { class: 'field grow' }, h('label', { for: 'agenda-new-title' }, 'New item’s title'), this.newTitle)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add after this item')));
    add.addEventListener('submit', (e) => {
      e.preventDefault();
      const r = this.run('Not added', () => this.ctx.client.addItem(this.meetingId, this.newNumber.value.trim(),
        this.newTitle.value.trim(), this.current?.id ?? '', nowMs()));
      if (r && !failed(r)) {
        this.newNumber.value = this.newTitle.value = '';
        this.target.dataset.want = r.ok.id;
        this.ctx.navigate(`#/read/${this.meetingId}/${r.ok.id}`);
      }
    });
    const pages = h('form', { class: 'agenda-pages', 'aria-label': 'Pages of an item' },
      h('div', { class: 'field' }, h('label', { for: 'agenda-target' }, 'Item to place'), this.target),
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'agenda-first' }, 'First page'), this.first),
        h('div', { class: 'field' }, h('label', { for: 'agenda-last' }, 'Last page'), this.last)),
      h('p', { class: 'hint' }, 'Or, while reading, use “Starts here” and “Ends here” at a page marker.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Set pages')));
    pages.addEventListener('submit', (e) => {
      e.preventDefault();
      this.setPages(Number(this.first.value), Number(this.last.value));
    });
    this.target.addEventListener('change', () => this.fillPages());
    this.root = h('details', { class: 'agenda-editor', id: 'agenda-editor' },
      h('summary', {}, 'Correct the agenda'),
      h('p', { class: 'hint' }, 'Your corrections reach every tablet, and are offered again when you publish a revised version of this pack.'),
      this.error,
      h('h3', {}, 'This item'), rename,
      h('div', { class: 'field check' }, this.exempt, h('label', { for: 'agenda-exempt' }, 'Exempt (confidential papers)')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => this.move(-1) }, 'Move up'),
        h('button', { type: 'button', onclick: () => this.move(1) }, 'Move down')),
      h('h3', {}, 'Add an item'), add,
      h('h3', {}, 'Pages'), pages);
  }

  // The agenda as it stands and the item being read.
  show(items: Item[], current: Item | undefined): void {
    this.items = items;
    this.current = current;
    if (current && current.id !== this.shownItem) {
      this.shownItem = current.id;
      this.number.value = current.number;
      this.title.value = current.title;
    }
    this.exempt.checked = !!current?.exempt;
    const want = this.target.dataset.want || this.target.value || current?.id || '';
    delete this.target.dataset.want;
    const sig = items.map((i) => `${i.id}${i.number}${i.title}`).join('|');
    if (this.target.dataset.sig !== sig) {
      replaceChildren(this.target, items.map((i) => h('option', { value: i.id }, `${i.number ? `${i.number}. ` : ''}${i.title}`)));
      this.target.dataset.sig = sig;
    }
    if (items.some((i) => i.id === want)) this.target.value = want;
    this.fillPages();
  }

  // Page markers: the chosen item starts or ends on page `page`.
  startsAt(page: number): void {
    const it = this.items.find((i) => i.id === this.target.value);
    if (!it) return;
    this.setPages(page, it.placed && it.lastPage >= page ? it.lastPage : page);
  }
  endsAt(page: number): void {
    const it = this.items.find((i) => i.id === this.target.value);
    if (!it) return;
    this.setPages(it.firstPage > 0 && it.firstPage <= page ? it.firstPage : page, page);
  }
  targetLabel(): string {
    const it = this.items.find((i) => i.id === this.target.value);
    return it ? `${it.number ? `item ${it.number}` : `“${it.title}”`}` : 'the chosen item';
  }

  private fillPages(): void {
    const it = this.items.find((i) => i.id === this.target.value);
    if (!it || document.activeElement === this.first || document.activeElement === this.last) return;
    this.first.value = it.firstPage ? String(it.firstPage) : '';
    this.last.value = it.lastPage ? String(it.lastPage) : '';
  }

  private setPages(first: number, last: number): void {
    const id = this.target.value;
    if (id) this.run('Pages not set', () => this.ctx.client.setItemPages(id, first, last, nowMs()));
  }

  private move(step: -1 | 1): void {
    const it = this.current;
    if (!it) return;
    const at = this.items.findIndex((i) => i.id === it.id);
    const to = at + step;
    if (at < 0 || to < 0 || to >= this.items.length) return;
    // After the item before its new place ('' : to the top).
    const others = this.items.filter((i) => i.id !== it.id);
    const after = to === 0 ? '' : others[to - 1].id;
    this.run('Not moved', () => this.ctx.client.moveItem(it.id, after, nowMs()));
  }

  private run<T>(what: string, call: () => Fallible<T>): { ok: T } | { error: string } {
    const r = this.ctx.write(what, call);
    this.error.textContent = failed(r) ? r.error : '';
    return r;
  }
}
