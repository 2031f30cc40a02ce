// The sign-in screen, and the first screen drawn before the WASM core has
// arrived: the same sign-in screen from a small record kept in localStorage
// (what the last start showed: an open panel's member names and roles, which
// that screen shows anyway, and never anything of a secured panel), with
// "Getting the app ready…" and nothing to press until the core is there.
import { h, replaceChildren } from './dom';
import { roleLabel } from './labels';

const KEY = 'packline-first-screen';

// What the next start may show before the core: an open panel's sign-in list,
// or only the progress note (signed in, a secured panel, a set-up screen).
export type FirstScreen = { screen: 'signin'; members: { name: string; role: string }[] } | { screen: 'other' };

export interface SignInScreen {
  members: { id?: string; name: string; role: string }[];
  // An open panel offers joining or founding a secured one.
  open: boolean;
  // Shown in place of the list (members still coming, or the app still loading).
  note?: string;
  // Absent while the core is not ready: the buttons are shown, disabled.
  actions?: { pick: (id: string) => void; join: () => void; found: () => void };
}

export function signInScreen(main: HTMLElement, s: SignInScreen): void {
  const a = s.actions;
  const list = s.members.length ? h('ul', { class: 'member-list' },
    s.members.map((m, i) => {
      const roleId = `role-${m.id ?? i}`;
      return h('li', {},
        h('button', {
          type: 'button', class: 'member', 'aria-describedby': roleId, disabled: !a,
          onclick: () => a?.pick(m.id ?? ''),
        }, `Sign in as ${m.name}`),
        h('span', { class: 'role', id: roleId }, roleLabel(m.role)),
      );
    })) : null;
  replaceChildren(main, h('section', { class: 'panel narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Who is using this tablet?'),
    h('p', {}, 'Choose your name. Your drafts are kept on this tablet and shared with the panel when it is online.'),
    s.note ? h('p', { class: 'notice', role: 'status', id: 'signin-note' }, s.note) : null,
    h('p', { class: 'error', role: 'alert', id: 'signin-error' }),
    list,
  ), s.open ? h('section', { class: 'panel narrow', 'aria-labelledby': 'own-panel-title' },
    h('h2', { id: 'own-panel-title' }, 'Your own panel'),
    h('p', {}, 'This is an open panel: its data is not encrypted. A panel’s real work belongs in a secured panel, where the server cannot read anything.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', disabled: !a, onclick: () => a?.join() }, 'Join with an invite code'),
      h('button', { type: 'button', disabled: !a, onclick: () => a?.found() }, 'Set up a new secured panel')),
  ) : null);
}

export const GETTING_READY = 'Getting the app ready…';

// Before the core: the screen the last start showed, or, on a tablet's first
// visit, the open panel's sign-in screen that a fresh tablet starts on (the
// note alone for a set-up screen: an invite link, or a new panel).
export function drawBeforeCore(main: HTMLElement, setup: boolean): void {
  let last: FirstScreen | null = null;
  try {
    last = JSON.parse(localStorage.getItem(KEY) ?? 'null') as FirstScreen | null;
  } catch {
    last = null;
  }
  if (!setup && (!last || last.screen === 'signin')) {
    signInScreen(main, { members: last?.members ?? [], open: true, note: GETTING_READY });
  } else {
    replaceChildren(main, h('p', { class: 'notice', role: 'status' }, GETTING_READY));
  }
}

// Kept for the next start; written only when it changes.
export function rememberFirstScreen(s: FirstScreen): void {
  const v = JSON.stringify(s);
  try {
    if (localStorage.getItem(KEY) !== v) localStorage.setItem(KEY, v);
  } catch {
    // storage refused: the next start shows the plain note
  }
}
