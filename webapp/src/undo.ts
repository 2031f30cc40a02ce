// The undo bar: right after something a person may regret at once (a deleted
// note, drafts merged, a question withdrawn) it says what happened, "Deleted.
// Undo", for a few seconds. The undo is a compensating change made through the
// core like any other write (Ctx.write): saved on the tablet and synced, so it
// works offline too.

import { byId, h, replaceChildren } from './dom';

const SHOWN_MS = 8000;
let timer: ReturnType<typeof setTimeout> | undefined;

function hide(): void {
  byId('undo-bar').hidden = true;
}

// `done`: what just happened ("Deleted."); `undo`: the compensating write,
// its refusal in plain words or ok.
export function offerUndo(done: string, undo: () => { ok: unknown } | { error: string }): void {
  const bar = byId('undo-bar');
  clearTimeout(timer);
  const said = h('span', { id: 'undo-message' }, done);
  const button = h('button', {
    type: 'button', id: 'undo-button',
    onclick: () => {
      clearTimeout(timer);
      const r = undo();
      button.remove();
      said.textContent = 'error' in r ? r.error : 'Undone.';
      timer = setTimeout(hide, 'error' in r ? SHOWN_MS : 2000);
    },
  }, 'Undo');
  replaceChildren(bar, said, button);
  bar.hidden = false;
  timer = setTimeout(hide, SHOWN_MS);
}
