// Tiny DOM helpers: build elements from plain values. Text always goes in as
// text nodes (never innerHTML), so content from the replica cannot inject markup.

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (k === 'class') {
      el.className = String(v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function replaceChildren(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

// A refusal shown where the member acted, not at the top of a long page:
// the view's alert paragraph moves into the form, row or panel holding
// `from` (the control used), just before its buttons, and into view.
export function showRefusal(alert: HTMLElement, message: string, from?: Element | null): void {
  alert.textContent = message;
  const place = message ? from?.closest('form, li, fieldset, section') : null;
  if (!place) return;
  const buttons = [...place.children].find((c) => c.classList.contains('actions'));
  if (buttons) buttons.before(alert);
  else place.append(alert);
  alert.scrollIntoView?.({ block: 'nearest' });
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

// What a member typed, as lists show it: dir="auto" (right-to-left text keeps
// its punctuation), and text longer than `keep` characters collapsed behind
// "Show more" (a 50,000-character paste must not make a list thousands of
// pixels tall).
const COLLAPSE_AT = 600;
export function userText(tag: 'p' | 'span' | 'div', text: string, attrs: Attrs = {}, keep = COLLAPSE_AT): HTMLElement {
  const el = h(tag, { ...attrs, dir: 'auto' });
  if (text.length <= keep) {
    el.append(text);
    return el;
  }
  const shown = h('span', {}, text.slice(0, keep).trimEnd() + '…');
  const more = h('button', { type: 'button', class: 'link show-more', 'aria-expanded': 'false' }, 'Show more');
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') !== 'true';
    shown.textContent = open ? text : text.slice(0, keep).trimEnd() + '…';
    more.setAttribute('aria-expanded', String(open));
    more.textContent = open ? 'Show less' : 'Show more';
  });
  el.append(shown, ' ', more);
  return el;
}
