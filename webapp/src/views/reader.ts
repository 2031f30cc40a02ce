// The pack reader: an item's papers as reflowed text with page markers, search
// within the pack or across every pack on the tablet, "changed since you read
// it" after a republication, and highlights and notes: select text, choose who
// sees it, and it shows in the margin and in the list. Anchors, visibility and
// re-anchoring are the core's; this view only turns a DOM selection into a
// block id and UTF-8 byte offsets, and back. The clerk corrects the agenda
// here too (AgendaEditor), marking where an item starts and ends at the page
// markers while reading.

import { nowMs } from '../clock';
import { isError, rows, type Annotation, type Block, type BlockChange, type Item, type Meeting, type Visibility } from '../core';
import { failed, type Ctx, type View } from '../ctx';
import { h, replaceChildren, userText } from '../dom';
import { VISIBILITY_LABELS, dateLabel, pagesLabel } from '../labels';
import { offerUndo } from '../undo';
import { AgendaEditor } from './agenda';
import { seedDraft } from './meeting';

const SEARCH_DEBOUNCE_MS = 150;
const SEARCH_MAX_RESULTS = 50;

const enc = new TextEncoder();
const byteOffset = (s: string, index: number): number => enc.encode(s.slice(0, index)).length;
function charIndex(s: string, bytes: number): number {
  // Walks code units until the UTF-8 length reaches `bytes`.
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    if (b >= bytes) return i;
    const c = s.codePointAt(i)!;
    b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  return s.length;
}

interface Selected { block: Block; start: number; end: number; text: string }

export class ReaderView implements View {
  readonly root: HTMLElement;
  private readonly title = h('h1', { id: 'reader-title' });
  private readonly changedNote = h('div', { class: 'changed-note', role: 'status' });
  private readonly itemNav = h('ol', { class: 'reader-items' });
  private readonly article = h('article', { class: 'pack-text', 'aria-labelledby': 'reader-item-title' });
  private readonly annList = h('div', {});
  private readonly searchInput = h('input', { type: 'search', id: 'pack-search', name: 'q', autocomplete: 'off' });
  private readonly searchAll = h('input', { type: 'checkbox', id: 'search-all' });
  private readonly results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  private readonly bar: HTMLElement;
  private readonly barQuote = h('p', { class: 'bar-quote' });
  private readonly visibility = h('select', { id: 'annotation-visibility', name: 'visibility' },
    (Object.keys(VISIBILITY_LABELS) as Visibility[]).map((v) => h('option', { value: v }, VISIBILITY_LABELS[v])));
  private readonly priority = h('select', { id: 'annotation-priority', name: 'priority' });
  private readonly priorityField: HTMLElement;
  private readonly note = h('textarea', { dir: 'auto', id: 'annotation-note', name: 'note', rows: 2 });
  private readonly barError = h('p', { class: 'error', role: 'alert', id: 'annotation-error' });
  private readonly listError = h('p', { class: 'error', role: 'alert', id: 'annotation-list-error' });
  private readonly keyStatus = h('p', { class: 'visually-hidden', role: 'status', id: 'keyboard-selection' });
  // The author's edit form for one annotation, kept across updates.
  private editing: { id: string; form: HTMLElement } | null = null;
  private selection: Selected | null = null;
  private blocksById = new Map<string, Block>();
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  private itemId: string | null;
  private renderedItem = '';
  private renderedSig = '';
  private readonly agendaEditor: AgendaEditor | null;

  constructor(private readonly ctx: Ctx, readonly meetingId: string, item: string | null) {
    this.itemId = item;
    this.agendaEditor = ctx.role === 'clerk' ? new AgendaEditor(ctx, meetingId) : null;
    this.agendaEditor?.target.addEventListener('change', () => { this.renderedSig = ''; this.update(); });
    this.priorityField = h('div', { class: 'field', hidden: true },
      h('label', { for: 'annotation-priority' }, 'Priority group'), this.priority);
    this.visibility.addEventListener('change', () => { this.priorityField.hidden = this.visibility.value !== 'priority'; });
    this.bar = h('section', { class: 'selection-bar', 'aria-labelledby': 'bar-title', hidden: true },
      h('h2', { id: 'bar-title', class: 'visually-hidden' }, 'Selected text'),
      this.barQuote,
      h('div', { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'annotation-visibility' }, 'Who sees it'), this.visibility),
        this.priorityField,
        h('div', { class: 'field grow' }, h('label', { for: 'annotation-note' }, 'Note (optional)'), this.note)),
      this.barError,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => this.annotate() }, 'Save highlight or note'),
        h('button', { type: 'button', onclick: () => this.draftFromSelection() }, 'Draft a question from this'),
        h('button', { type: 'button', onclick: () => this.clearSelection() }, 'Cancel')),
    );
    const searchForm = h('form', { class: 'search', role: 'search', 'aria-label': 'Search the pack' },
      h('label', { for: 'pack-search' }, 'Search'),
      this.searchInput,
      h('label', { class: 'check' }, this.searchAll, ' In every pack on this tablet'),
    );
    searchForm.addEventListener('submit', (e) => { e.preventDefault(); this.search(); });
    this.searchInput.addEventListener('input', () => this.searchSoon());
    this.searchAll.addEventListener('change', () => this.search());

    this.root = h('div', { class: 'reader' },
      h('section', { class: 'panel reader-head', 'aria-labelledby': 'reader-title' },
        h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'All meetings'), ' › ',
          h('a', { href: `#/meeting/${meetingId}` }, 'Agenda and questions')),
        this.title, this.changedNote, searchForm, this.results),
      h('div', { class: 'reader-columns' },
        h('nav', { class: 'panel reader-nav', 'aria-labelledby': 'reader-nav-title' },
          h('h2', { id: 'reader-nav-title' }, 'Items'), this.itemNav, this.agendaEditor?.root ?? null),
        h('div', { class: 'panel reader-main' },
          h('p', { class: 'hint', id: 'keyboard-hint' },
            'Keyboard: Tab into the text, Up and Down move between passages, Shift with Left or Right (Ctrl for whole words) selects, Enter adds a highlight or note.'),
          this.keyStatus, this.article),
        h('aside', { class: 'panel reader-notes', 'aria-labelledby': 'ann-title' },
          h('h2', { id: 'ann-title', tabindex: '-1' }, 'Highlights and notes'), this.listError, this.annList)),
      this.bar,
    );
    document.addEventListener('selectionchange', this.onSelection);
    this.article.addEventListener('keydown', (e) => this.onBlockKey(e));
    this.article.addEventListener('focusin', (e) => {
      const el = (e.target as HTMLElement).closest<HTMLElement>('[data-block]');
      if (!el || !this.article.contains(el)) return;
      for (const x of this.article.querySelectorAll<HTMLElement>('[data-block][tabindex="0"]')) if (x !== el) x.tabIndex = -1;
      el.tabIndex = 0;
      if (this.keySel?.block !== el.dataset.block) this.keySel = { block: el.dataset.block!, anchor: 0, focus: 0 };
    });
  }

  // ---- keyboard selection ------------------------------------------------------

  // The keyboard user's selection in the focused passage, in UTF-16 indexes
  // of the block's text (turned into a DOM selection, which the mouse path
  // then reads like any other).
  private keySel: { block: string; anchor: number; focus: number } | null = null;

  private onBlockKey(e: KeyboardEvent): void {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-block]');
    if (!el || e.target !== el) return;
    const block = this.blocksById.get(el.dataset.block!);
    if (!block) return;
    const text = block.text;
    const ks = this.keySel && this.keySel.block === block.id ? this.keySel : { block: block.id, anchor: 0, focus: 0 };
    const wordStep = (from: number, dir: 1 | -1): number => {
      let i = from;
      if (dir === 1) {
        while (i < text.length && /\s/.test(text[i])) i++;
        while (i < text.length && !/\s/.test(text[i])) i++;
      } else {
        while (i > 0 && /\s/.test(text[i - 1])) i--;
        while (i > 0 && !/\s/.test(text[i - 1])) i--;
      }
      return i;
    };
    const move = (to: number) => Math.max(0, Math.min(text.length, to));
    let handled = true;
    switch (e.key) {
      case 'ArrowRight': case 'ArrowLeft': {
        const dir = e.key === 'ArrowRight' ? 1 : -1;
        const to = move(e.ctrlKey || e.altKey ? wordStep(ks.focus, dir) : ks.focus + dir);
        ks.focus = to;
        if (!e.shiftKey) ks.anchor = to;
        break;
      }
      case 'Home': ks.focus = 0; if (!e.shiftKey) ks.anchor = 0; break;
      case 'End': ks.focus = text.length; if (!e.shiftKey) ks.anchor = text.length; break;
      case 'ArrowDown': case 'ArrowUp': {
        if (e.shiftKey) { handled = false; break; }
        const all = [...this.article.querySelectorAll<HTMLElement>('[data-block]')];
        const next = all[all.indexOf(el) + (e.key === 'ArrowDown' ? 1 : -1)];
        if (next) next.focus();
        e.preventDefault();
        return;
      }
      case 'Enter':
        if (this.selection && !this.bar.hidden) {
          this.note.focus();
          e.preventDefault();
        }
        return;
      case 'Escape':
        ks.anchor = ks.focus;
        this.clearSelection();
        break;
      default: handled = false;
    }
    if (!handled) return;
    e.preventDefault();
    this.keySel = ks;
    this.selectChars(el, ks.anchor, ks.focus);
  }

  // Puts the DOM selection on [a, b) of the block's text (marks included).
  private selectChars(el: HTMLElement, a: number, b: number): void {
    const sel = document.getSelection();
    if (!sel) return;
    const point = (index: number): [Node, number] => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let left = index;
      let last: Text | null = null;
      for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
        if (left <= n.data.length) return [n, left];
        left -= n.data.length;
        last = n;
      }
      return last ? [last, last.data.length] : [el, 0];
    };
    if (a === b) {
      sel.removeAllRanges();
      this.keyStatus.textContent = '';
      return;
    }
    const [an, ao] = point(a);
    const [bn, bo] = point(b);
    sel.setBaseAndExtent(an, ao, bn, bo);
    const n = Math.abs(b - a);
    this.keyStatus.textContent = `${n} character${n === 1 ? '' : 's'} selected. Press Enter to add a highlight or note.`;
  }

  selectItem(id: string | null): void {
    this.itemId = id;
    this.update();
    document.getElementById('reader-item-title')?.focus({ preventScroll: true });
  }

  update(): void {
    if (!this.root.isConnected && this.renderedItem) {
      document.removeEventListener('selectionchange', this.onSelection);
      return;
    }
    const { client } = this.ctx;
    const meeting = rows(client.meetings(), this.ctx.readError).find((m) => m.id === this.meetingId);
    if (!meeting) {
      this.title.textContent = 'Pack not on this tablet yet';
      return;
    }
    const items = rows(client.items(meeting.id, false), this.ctx.readError);
    const packs = rows(client.packs(meeting.id), this.ctx.readError);
    const current = packs.find((p) => p.id === meeting.pack);
    this.title.textContent = `${meeting.title || 'Meeting'}${meeting.date ? `, ${dateLabel(meeting.date)}` : ''}: the pack` +
      (current ? ` (version ${current.version}${current.pages ? `, ${current.pages} pages` : ''})` : '');
    const withPapers = items.filter((i) => i.firstPage > 0);
    if (!this.itemId || !items.some((i) => i.id === this.itemId)) this.itemId = (withPapers[0] ?? items[0])?.id ?? null;

    const changes = this.changesSinceRead(meeting);
    const changedItems = new Set(changes.map((c) => c.item));
    replaceChildren(this.itemNav, items.map((it) => h('li', {},
      h('a', {
        href: `#/read/${meeting.id}/${it.id}`, 'aria-current': it.id === this.itemId ? 'page' : null,
      }, h('span', { class: 'num' }, it.number), ' ', it.title,
      h('span', { class: 'meta' }, ` ${pagesLabel(it.pages)}`), it.exempt ? h('span', { class: 'badge exempt' }, ' Exempt') : null,
      changedItems.has(it.id) ? h('span', { class: 'badge' }, ' Changed') : null))));

    const item = items.find((i) => i.id === this.itemId);
    this.agendaEditor?.show(items, item);
    const annotations = rows(client.annotations(meeting.id), this.ctx.readError);
    if (item) this.renderItem(item, annotations.filter((a) => a.item === item.id), changes);
    this.renderList(meeting, item, annotations.filter((a) => a.item === item?.id));
    if (this.searchInput.value) this.search();
  }

  // Blocks changed since this member last marked the pack read, from the
  // core's replicated read mark (the same on every tablet of the member); the
  // first visit after a sync marks the current version read.
  private changesSinceRead(meeting: Meeting): BlockChange[] {
    const reading = this.ctx.client.changedSinceRead(meeting.id);
    if (isError(reading)) {
      this.ctx.readError(reading.error);
      replaceChildren(this.changedNote);
      return [];
    }
    const markRead = () => this.ctx.write('Not marked as read', () => this.ctx.client.markRead(reading.currentPack, nowMs()));
    if (!reading.currentPack) {
      replaceChildren(this.changedNote);
      return [];
    }
    const n = reading.changed.length;
    if (reading.readPack === reading.currentPack || !n) {
      // Never marked, or nothing changed since: this version is read now. Only
      // once this tablet has caught up: before its first sync it cannot know
      // the mark the member's other tablets wrote, and a new mark would replace it.
      if (reading.readPack !== reading.currentPack && this.ctx.client.syncState() === 'synced') markRead();
      replaceChildren(this.changedNote);
      return [];
    }
    const error = h('span', { class: 'error', role: 'alert' });
    replaceChildren(this.changedNote,
      h('p', {}, `The clerk has published a new version since you last read this pack: ${n} passage${n === 1 ? '' : 's'} changed (marked “Changed”). `,
        h('button', {
          type: 'button', onclick: () => {
            const r = markRead();
            if (failed(r)) {
              error.textContent = ` ${r.error}`;
              return;
            }
            this.renderedSig = '';
            this.update();
          },
        }, 'Mark as read'), error));
    return reading.changed;
  }

  private renderItem(item: Item, anns: Annotation[], changes: BlockChange[]): void {
    const blocks = rows(this.ctx.client.blocks(item.id), this.ctx.readError);
    const sig = `${item.id}|${item.number}|${item.title}|${this.agendaEditor?.targetLabel() ?? ''}|${blocks.length}|${blocks[0]?.id ?? ''}|${blocks.at(-1)?.id ?? ''}|${anns.map((a) => `${a.id}${a.block}${a.curStart}-${a.curEnd}${a.editedAt}`).join()}|${changes.length}`;
    if (sig === this.renderedSig) return;
    this.renderedSig = sig;
    this.renderedItem = item.id;
    this.blocksById = new Map(blocks.map((b) => [b.id, b]));
    const changed = new Set(changes.filter((c) => c.kind !== 'removed').map((c) => c.newBlock));
    const heading = h('h2', { id: 'reader-item-title', tabindex: '-1' }, `${item.number ? `${item.number}. ` : ''}${item.title}`,
      item.exempt ? h('span', { class: 'badge exempt' }, ' Exempt') : null,
      item.pages ? h('span', { class: 'meta' }, ` · ${pagesLabel(item.pages)}`) : null);
    if (!blocks.length) {
      replaceChildren(this.article, heading, h('p', { class: 'empty' },
        item.firstPage ? 'The text of this item is not on this tablet yet.' : 'This item has no papers in the pack.'));
      return;
    }
    const out: HTMLElement[] = [heading];
    let page = -1;
    for (const b of blocks) {
      if (b.kind === 'page_marker') continue;
      if (b.page && b.page !== page) {
        page = b.page;
        out.push(this.pageMarker(page));
      }
      const mine = anns.filter((a) => a.block === b.id && a.status !== 'orphaned');
      out.push(this.blockRow(b, mine, changed.has(b.id)));
    }
    replaceChildren(this.article, out);
    const first = this.article.querySelector<HTMLElement>('[data-block]');
    if (first) first.tabIndex = 0;
  }

  // "Page N"; for the clerk, where the item being placed starts or ends.
  private pageMarker(page: number): HTMLElement {
    const ed = this.agendaEditor;
    return h('div', { class: 'page-marker', id: `page-${page}` }, h('span', {}, `Page ${page}`),
      ed ? [
        h('button', { type: 'button', class: 'small', 'aria-label': `${ed.targetLabel()} starts on page ${page}`, onclick: () => ed.startsAt(page) }, 'Starts here'),
        h('button', { type: 'button', class: 'small', 'aria-label': `${ed.targetLabel()} ends on page ${page}`, onclick: () => ed.endsAt(page) }, 'Ends here'),
      ] : null);
  }

  private blockRow(b: Block, anns: Annotation[], changed: boolean): HTMLElement {
    const tag = b.kind === 'heading' ? 'h3' : 'p';
    // One tab stop in the text (roving): arrows move between passages and
    // shift+arrows select words in one, for the keyboard user (see onBlockKey).
    const el = h(tag, {
      class: `block block-${b.kind}`, 'data-block': b.id, id: `block-${b.id}`, tabindex: '-1',
      'aria-describedby': 'keyboard-hint',
    });
    // Marks for the annotated ranges, earliest first; overlaps start after the previous mark.
    const ranges = anns.map((a) => ({ a, s: charIndex(b.text, a.curStart), e: charIndex(b.text, a.curEnd) }))
      .filter((r) => r.e > r.s).sort((x, y) => x.s - y.s);
    let at = 0;
    for (const r of ranges) {
      const s = Math.max(r.s, at);
      if (r.e <= s) continue;
      el.append(b.text.slice(at, s));
      el.append(h('mark', {
        class: `hl hl-${r.a.kind} vis-${r.a.visibility}`, 'data-annotation': r.a.id,
        title: r.a.body || `Highlighted by ${this.ctx.name(r.a.author)}`,
      }, b.text.slice(s, r.e)));
      at = r.e;
    }
    el.append(b.text.slice(at));
    const margin = h('div', { class: 'margin' },
      changed ? h('span', { class: 'badge' }, 'Changed') : null,
      anns.filter((a) => a.kind === 'note' || a.author !== this.ctx.me).map((a) =>
        h('p', { class: `margin-note vis-${a.visibility}`, 'data-annotation': a.id },
          h('span', { class: 'who' }, `${this.ctx.name(a.author)}: `), userText('span', a.body || 'highlighted'))));
    return h('div', { class: `block-row${changed ? ' changed' : ''}` }, el, margin);
  }

  private renderList(meeting: Meeting, item: Item | undefined, anns: Annotation[]): void {
    if (!item) {
      replaceChildren(this.annList, h('p', { class: 'empty' }, 'Choose an item.'));
      return;
    }
    const statusText = (a: Annotation) => {
      switch (a.status) {
        case 'moved': return 'The passage has moved in the new version.';
        case 'text_changed': return `The wording has changed; it now reads: “${a.currentText}”`;
        case 'orphaned': return 'This passage is no longer in the pack.';
        default: return '';
      }
    };
    replaceChildren(this.annList, anns.length ? h('ul', { class: 'annotations' }, anns.map((a) =>
      h('li', { class: `annotation vis-${a.visibility}`, 'data-annotation': a.id },
        h('blockquote', {}, `“${a.quote}”`),
        a.body ? h('p', { class: 'note-body' }, a.body) : null,
        h('p', { class: 'meta' }, [this.ctx.name(a.author) + (a.author === this.ctx.me ? ' (you)' : ''),
          a.kind === 'note' ? 'Note' : 'Highlight', `seen by: ${VISIBILITY_LABELS[a.visibility] ?? a.visibility}`,
          a.page ? `page ${a.page}` : '', a.editedAt ? 'edited' : ''].filter(Boolean).join(' · ')),
        a.status !== 'exact' ? h('p', { class: 'anchor-status' }, statusText(a)) : null,
        h('div', { class: 'actions' },
          a.block ? h('button', { type: 'button', onclick: () => this.goToBlock(a.block) }, 'Show in text') : null,
          h('button', {
            type: 'button', onclick: () => this.draftFrom(meeting.id, item.id, a.quote, a.page),
          }, 'Draft a question from this'),
          a.author === this.ctx.me ? [
            h('button', { type: 'button', 'aria-label': `Edit your ${a.kind} on “${a.quote.slice(0, 40)}”`, onclick: () => this.startEdit(a) }, 'Edit'),
            h('button', { type: 'button', class: 'danger', 'aria-label': `Delete your ${a.kind} on “${a.quote.slice(0, 40)}”`, onclick: () => this.remove(a) }, 'Delete'),
          ] : null),
        this.editing?.id === a.id ? this.editing.form : null,
      ))) : h('p', { class: 'empty' }, 'No highlights or notes on this item yet. Select text in the papers to add one.'));
  }

  // ---- the author's edit and delete ------------------------------------------

  private startEdit(a: Annotation): void {
    const id = `edit-ann-${a.id}`;
    const body = h('textarea', { dir: 'auto', id: `${id}-body`, rows: 3 });
    body.value = a.body;
    const vis = h('select', { id: `${id}-vis` },
      (Object.keys(VISIBILITY_LABELS) as Visibility[]).map((v) => h('option', { value: v }, VISIBILITY_LABELS[v])));
    vis.value = a.visibility;
    const pri = h('select', { id: `${id}-pri` });
    const all = rows(this.ctx.client.priorities(), this.ctx.readError);
    replaceChildren(pri, all.map((p) => h('option', { value: p.id }, `${p.number}. ${p.title}`)));
    if (a.priority) pri.value = a.priority;
    const priField = h('div', { class: 'field', hidden: a.visibility !== 'priority' }, h('label', { for: `${id}-pri` }, 'Priority group'), pri);
    vis.addEventListener('change', () => { priField.hidden = vis.value !== 'priority'; });
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'edit-form', 'aria-label': `Edit your ${a.kind}` },
      h('div', { class: 'field' }, h('label', { for: `${id}-body` }, a.kind === 'note' ? 'Note' : 'Note (optional)'), body),
      h('div', { class: 'field-row' }, h('div', { class: 'field' }, h('label', { for: `${id}-vis` }, 'Who sees it'), vis), priField),
      error,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save changes'),
        h('button', { type: 'button', onclick: () => { this.editing = null; this.update(); } }, 'Cancel')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const r = this.ctx.write('Not saved', () => this.ctx.client.editAnnotation(a.id, body.value.trim(),
        vis.value as Visibility, vis.value === 'priority' ? pri.value : '', nowMs()));
      if (failed(r)) {
        error.textContent = r.error;
        return;
      }
      this.editing = null;
      this.update();
    });
    this.editing = { id: a.id, form };
    this.update();
    body.focus({ preventScroll: true });
    form.scrollIntoView({ block: 'nearest' });
  }

  // No "are you sure?": the bar that follows undoes it.
  private remove(a: Annotation): void {
    const r = this.ctx.write('Not deleted', () => this.ctx.client.deleteAnnotation(a.id, nowMs()));
    this.listError.textContent = failed(r) ? r.error : '';
    if (!failed(r)) {
      offerUndo(`${a.kind === 'note' ? 'Note' : 'Highlight'} deleted.`,
        () => this.ctx.write('Not brought back', () => this.ctx.client.restoreAnnotation(a.id, nowMs())));
    }
    if (this.editing?.id === a.id) this.editing = null;
    queueMicrotask(() => document.getElementById('ann-title')?.focus());
  }

  // ---- selection → annotation ------------------------------------------------

  private readonly onSelection = (): void => {
    if (!this.root.isConnected) return;
    const sel = document.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) {
      // Tapping a control in the bar may collapse the selection: keep it then.
      if (this.bar.contains(document.activeElement)) return;
      return;
    }
    const range = sel.getRangeAt(0);
    const blockOf = (n: Node | null) => (n instanceof Element ? n : n?.parentElement)?.closest<HTMLElement>('[data-block]');
    const start = blockOf(range.startContainer);
    if (!start || !this.article.contains(start)) return;
    const block = this.blocksById.get(start.dataset.block!);
    if (!block) return;
    const end = blockOf(range.endContainer);
    const pre = document.createRange();
    pre.selectNodeContents(start);
    pre.setEnd(range.startContainer, range.startOffset);
    const s = pre.toString().length;
    // A selection running past its block is cut at the block's end.
    let e = s + range.toString().length;
    if (end !== start) e = block.text.length;
    e = Math.min(e, block.text.length);
    if (e <= s) return;
    this.selection = { block, start: s, end: e, text: block.text.slice(s, e) };
    this.barQuote.textContent = `“${this.selection.text}”`;
    this.barError.textContent = '';
    this.refreshPriorityChoices();
    this.bar.hidden = false;
  };

  private refreshPriorityChoices(): void {
    const all = rows(this.ctx.client.priorities(), this.ctx.readError);
    const led = all.filter((p) => p.leads.includes(this.ctx.me));
    const list = led.length ? led : all;
    const value = this.priority.value;
    replaceChildren(this.priority, list.map((p) => h('option', { value: p.id }, `${p.number}. ${p.title}`)));
    if (list.some((p) => p.id === value)) this.priority.value = value;
  }

  private annotate(): void {
    const s = this.selection;
    if (!s) return;
    const text = s.block.text;
    const r = this.ctx.write('Not saved', () => this.ctx.client.annotate({
      block: s.block.id,
      start: byteOffset(text, s.start),
      end: byteOffset(text, s.end),
      kind: this.note.value.trim() ? 'note' : 'highlight',
      body: this.note.value.trim(),
      visibility: this.visibility.value as Visibility,
      priority: this.visibility.value === 'priority' ? this.priority.value : '',
    }, nowMs()));
    if (failed(r)) {
      this.barError.textContent = r.error;
      return;
    }
    this.note.value = '';
    this.clearSelection();
  }

  private draftFromSelection(): void {
    const s = this.selection;
    if (!s) return;
    this.draftFrom(this.meetingId, s.block.item || this.itemId || '', s.text, s.block.page);
  }

  private draftFrom(meeting: string, item: string, quote: string, page: number): void {
    seedDraft(item, `“${quote}”${page ? ` (page ${page})` : ''}\n\n`);
    this.clearSelection();
    this.ctx.navigate(`#/meeting/${meeting}/item/${item}`);
    queueMicrotask(() => document.getElementById('question-body')?.focus());
  }

  private clearSelection(): void {
    this.selection = null;
    this.bar.hidden = true;
    document.getSelection()?.removeAllRanges();
  }

  private goToBlock(blockId: string): void {
    const el = document.getElementById(`block-${blockId}`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 1500);
  }

  // ---- search ------------------------------------------------------------------

  private searchSoon(): void {
    if (this.searchTimer !== null) clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      this.searchTimer = null;
      this.search();
    }, SEARCH_DEBOUNCE_MS);
  }

  private search(): void {
    const q = this.searchInput.value.trim().toLowerCase();
    if (q.length < 2) {
      replaceChildren(this.results);
      return;
    }
    const { client } = this.ctx;
    const meetings = rows(client.meetings(), this.ctx.readError)
      .filter((m) => this.searchAll.checked || m.id === this.meetingId);
    const hits: { m: Meeting; it: Item; b: Block }[] = [];
    let total = 0;
    for (const m of meetings) {
      for (const it of rows(client.items(m.id, false), this.ctx.readError)) {
        for (const b of rows(client.blocks(it.id), this.ctx.readError)) {
          if (b.text.toLowerCase().includes(q)) {
            total++;
            if (hits.length < SEARCH_MAX_RESULTS) hits.push({ m, it, b });
          }
        }
      }
    }
    const snippet = (t: string) => {
      const i = t.toLowerCase().indexOf(q);
      const from = Math.max(0, i - 60);
      return [from > 0 ? '…' : '', t.slice(from, i), h('mark', {}, t.slice(i, i + q.length)),
        t.slice(i + q.length, i + q.length + 80), i + q.length + 80 < t.length ? '…' : ''];
    };
    replaceChildren(this.results,
      h('p', { class: 'meta', id: 'search-count' }, total
        ? `${total} passage${total === 1 ? '' : 's'} found${total > hits.length ? `; the first ${hits.length} are shown` : ''}.`
        : 'Nothing found.'),
      hits.length ? h('ol', { class: 'results' }, hits.map(({ m, it, b }) => h('li', {},
        h('a', {
          href: `#/read/${m.id}/${it.id}`, 'data-block': b.id,
          onclick: () => setTimeout(() => this.goToBlock(b.id), 50),
        },
        h('span', { class: 'where' }, `${m.id !== this.meetingId ? `${dateLabel(m.date)} · ` : ''}Item ${it.number}${b.page ? `, page ${b.page}` : ''}: `),
        snippet(b.text))))) : null);
  }
}
