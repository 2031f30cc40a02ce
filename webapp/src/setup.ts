// The screens before the app (at rest and enrolment): unlock a sealed
// replica with the member's passphrase; join a secured panel with the clerk's
// invite code; set up (found) a new secured panel. Keys, sealing, invites and
// their checks are the core's; this module only asks, shows and stores bytes.
// A new copy replaces a stored one only after it exists; the old one is kept aside.

import { nowMs } from './clock';
import {
  CORRUPT_REPLICA, INVALID_ARGUMENT, NOT_FOUND, WRONG_PASSPHRASE, isError, type Client, type Core, type CoreError,
} from './core';
import { byId, h, replaceChildren } from './dom';
import { roleLabel } from './labels';
import { describe, type ReplicaStore } from './store';
import { SyncTransport } from './sync';

// UI only (the core accepts any passphrase): short ones are refused here
// because the sealed copy can be attacked offline once a tablet is stolen.
const MIN_PASSPHRASE = 10;
// How long the join screen waits for the server to take the invite.
const JOIN_TIMEOUT_MS = 30_000;

export const WRONG_PASSPHRASE_TEXT = 'That passphrase doesn’t open this tablet’s copy. Try again.';

// Lets the page paint the busy message before the core blocks (Argon2id).
function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function field(id: string, label: string, control: HTMLElement, hint?: HTMLElement): HTMLElement {
  if (hint) control.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ?? null);
}

// A rough strength hint in words (length and word count); a hint, not a rule.
function strength(p: string): { level: string; text: string } {
  const words = p.trim().split(/\s+/).filter(Boolean).length;
  if (p.length === 0) return { level: 'none', text: '' };
  if (p.length < MIN_PASSPHRASE) return { level: 'weak', text: `Too short: use at least ${MIN_PASSPHRASE} characters.` };
  if (p.length >= 20 || (words >= 4 && p.length >= 16)) return { level: 'strong', text: 'Strong passphrase.' };
  if (p.length >= 14 || words >= 3) return { level: 'good', text: 'Good. A few more words make it stronger.' };
  return { level: 'fair', text: 'Fair. Longer is safer: add another word or two.' };
}

// New passphrase and its confirmation, with a live strength hint.
function newPassphrase(): { el: HTMLElement; value: () => string; problem: () => string | null } {
  const p1 = h('input', { id: 'passphrase', name: 'passphrase', type: 'password', autocomplete: 'new-password', required: true });
  const p2 = h('input', { id: 'passphrase-again', name: 'passphrase-again', type: 'password', autocomplete: 'new-password', required: true });
  const hint = h('p', { class: 'hint', id: 'passphrase-hint' },
    'Three or four unrelated words are easy to remember and hard to guess. The passphrase stays on this tablet: it is never sent to the server, and nobody can reset it. If it is forgotten, this tablet is set up again from the server, and drafts not yet sent stay locked in the old copy.');
  const meter = h('p', { class: 'strength', id: 'passphrase-strength', 'aria-live': 'polite', 'data-level': 'none' });
  p1.addEventListener('input', () => {
    const s = strength(p1.value);
    meter.textContent = s.text;
    meter.dataset.level = s.level;
  });
  p1.setAttribute('aria-describedby', 'passphrase-hint passphrase-strength');
  return {
    el: h('div', {}, field('passphrase', 'Choose a passphrase', p1), hint, meter,
      field('passphrase-again', 'Type the passphrase again', p2)),
    value: () => p1.value,
    problem: () => {
      if (p1.value.length < MIN_PASSPHRASE) return `The passphrase is too short: use at least ${MIN_PASSPHRASE} characters.`;
      if (p1.value !== p2.value) return 'The two passphrases are not the same. Type them again.';
      return null;
    },
  };
}

function screen(titleId: string, title: string, ...body: (HTMLElement | string | null)[]): HTMLElement {
  const s = h('section', { class: 'panel narrow setup', 'aria-labelledby': titleId }, h('h1', { id: titleId }, title), ...body);
  replaceChildren(byId('main'), s);
  return s;
}

// The header before the app runs: a locked copy (its pending count is not
// known until it opens), or a new tablet (nothing to send yet).
function headerState(state: 'locked' | 'new'): void {
  const conn = byId('conn');
  conn.textContent = state === 'locked' ? 'Locked' : 'Not set up';
  conn.dataset.state = 'offline';
  const pending = byId('pending');
  pending.textContent = state === 'locked' ? 'pending unknown' : '0 pending';
  pending.dataset.count = state === 'locked' ? '' : '0';
}

// A message about the last attempt goes once the member types again.
function clearOnInput(form: HTMLElement, error: HTMLElement): void {
  form.addEventListener('input', () => { error.textContent = ''; });
}

// ---- unlock ------------------------------------------------------------------

export interface Opened {
  client: Client;
  // Said once the app runs (e.g. the damaged copy was replaced by the last good one).
  notice?: string;
}

// Asks for the passphrase until the stored copy opens. A damaged copy is kept
// aside and the last good copy (store.loadPrevious) is opened instead.
export function showUnlock(core: Core, store: ReplicaStore, bytes: Uint8Array, opened: (o: Opened) => void): void {
  headerState('locked');
  const input = h('input', { id: 'unlock-passphrase', name: 'passphrase', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'unlock-error' });
  const busy = h('p', { class: 'notice', role: 'status', id: 'unlock-status' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Unlock');
  const form = h('form', { class: 'unlock' },
    field('unlock-passphrase', 'Passphrase', input),
    error, busy,
    h('div', { class: 'actions' }, button));
  screen('unlock-title', 'Unlock Packline on this tablet',
    h('p', {}, 'Your panel’s data on this tablet is encrypted. Type your passphrase to open it.'),
    form,
    h('details', { class: 'forgot' },
      h('summary', {}, 'Forgotten your passphrase?'),
      h('p', {}, 'Nobody can open this copy without it, not even the clerk. Ask the clerk for a new invite and join again: your panel’s data comes back from the server. Drafts that had not reached the server stay in the locked copy, which is kept on this tablet.'),
      h('button', { type: 'button', onclick: () => goToSetup('join') }, 'Join again with a new invite')));
  input.focus();
  clearOnInput(form, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    busy.textContent = 'Unlocking…';
    button.disabled = true;
    await nextPaint();
    const r = await unlock(core, store, bytes, input.value);
    button.disabled = false;
    busy.textContent = '';
    if ('problem' in r) {
      error.textContent = r.problem;
      input.select();
      return;
    }
    opened(r);
  });
}

async function unlock(core: Core, store: ReplicaStore, bytes: Uint8Array, passphrase: string): Promise<Opened | { problem: string }> {
  const r = core.openSealedClient(bytes, passphrase, nowMs());
  if (!isError(r)) return { client: r.client };
  if (r.error.code === WRONG_PASSPHRASE) return { problem: WRONG_PASSPHRASE_TEXT };
  if (r.error.code !== CORRUPT_REPLICA) return { problem: `This tablet’s copy could not be opened: ${r.error.message}. Nothing was changed.` };
  // Damaged or altered: try the last good copy; keep the damaged one aside.
  const damaged = 'This tablet’s copy of your panel’s data has been damaged or altered, so it cannot be trusted.';
  let prev: Uint8Array | null = null;
  try {
    prev = await store.loadPrevious();
  } catch {
    prev = null;
  }
  const good = prev && core.isSealed(prev) ? core.openSealedClient(prev, passphrase, nowMs()) : null;
  if (!good || isError(good)) {
    return { problem: `${damaged} No earlier good copy opens with this passphrase. Nothing has been deleted: connect to the network and ask the clerk to set this tablet up again.` };
  }
  try {
    await store.keepAside(bytes);
    await store.write(prev!, undefined, false);
  } catch (e) {
    good.client.delete();
    return { problem: `${damaged} The last good copy could not be restored: ${describe(e)}. Nothing was changed.` };
  }
  return {
    client: good.client,
    notice: `${damaged} Packline opened the last good copy saved before it; the damaged copy is kept aside on this tablet. Changes already on the server come back when the tablet is online.`,
  };
}

// ---- join with an invite -------------------------------------------------------

// What the server's refusal of a join means for the member.
function refusal(e: CoreError): string {
  const m = e.message;
  if (/used already/i.test(m)) return 'This invite has already been used. Each invite works once: ask the clerk for a new one.';
  if (/expired/i.test(m)) return 'This invite has expired. Ask the clerk for a new one.';
  if (/no such invite/i.test(m)) return 'The server does not know this invite. Check the code, or ask the clerk for a new one.';
  if (/removed/i.test(m)) return 'The member this invite was for has been removed from the panel. Ask the clerk.';
  return `The server did not accept this invite: ${m}.`;
}

// Redeems the invite on a new device and syncs until the server has taken the
// join and sent the panel; then signs in as the invited member.
async function join(client: Client, code: string, status: (s: string) => void): Promise<string | null> {
  const redeemed = client.redeemInvite(code, nowMs());
  if (isError(redeemed)) {
    return redeemed.error.code === INVALID_ARGUMENT
      ? 'That is not a Packline invite code. Check that all 96 letters and digits are there.'
      : `The invite could not be used: ${redeemed.error.message}.`;
  }
  status('Contacting the server…');
  return new Promise((resolve) => {
    let done = false;
    const finish = (problem: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      transport.stop();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(navigator.onLine
      ? 'The server did not answer. Check the connection and try again.'
      : 'Joining needs a connection to the server. Connect this tablet to the network and try again.'), JOIN_TIMEOUT_MS);
    const transport = new SyncTransport(client, {
      onChange: () => {
        const me = client.myMember();
        if (me && client.syncState() === 'synced') {
          const s = client.signIn(me);
          // The member's own row may come a moment later (sealed under a key
          // the clerk's tablet grants after a key change): wait for it.
          if (!isError(s)) finish(null);
          else if (s.error.code !== NOT_FOUND) finish(`You joined, but signing in failed: ${s.error.message}.`);
          else status('The server accepted this tablet. Fetching your panel…');
        } else if (me) {
          status('The server accepted this tablet. Fetching your panel…');
        }
      },
      onFrameHandled: () => {},
      onRejected: () => {},
      onError: () => {},
      onSyncError: (e) => finish(refusal(e)),
    });
    transport.start();
  });
}

// `fromLink`: the code of the invite link that opened this screen (main.ts).
export function showJoin(core: Core, store: ReplicaStore, old: Uint8Array | null, joined: (c: Client) => void, fromLink = ''): void {
  headerState('new');
  const code = h('textarea', { id: 'invite-code', name: 'code', rows: 3, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  code.value = fromLink;
  const codeHint = h('p', { class: 'hint', id: 'invite-code-hint' }, fromLink
    ? 'Filled in from the clerk’s invite link. Choose your passphrase below.'
    : 'Open the invite link the clerk sent you, or scan its QR code with this tablet’s camera: the code is then filled in for you. Otherwise type the 96 letters and digits of the code here.');
  const pass = newPassphrase();
  const error = h('p', { class: 'error', role: 'alert', id: 'join-error' });
  const busy = h('p', { class: 'notice', role: 'status', id: 'join-status' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Join the panel');
  const form = h('form', { class: 'join' },
    field('invite-code', 'Invite code', code, codeHint), pass.el, error, busy,
    h('div', { class: 'actions' }, button, h('a', { href: './', class: 'button', onclick: leaveSetup }, 'Back')));
  screen('join-title', 'Join your panel',
    h('p', {}, 'Set up this tablet for your panel with the invite the clerk gave you. Everything your panel writes is encrypted; the server cannot read it.'),
    old ? h('p', { class: 'hint' }, 'The data already on this tablet is kept aside, not deleted.') : null,
    form);
  if (fromLink) byId('passphrase').focus();
  onSealedSetup({ core, form, pass, error, busy, button, store, old }, 'Protecting this tablet’s copy with your passphrase…',
    (client) => join(client, code.value.replace(/\s+/g, ''), (m) => { busy.textContent = m; }), joined);
}

// ---- set up a new secured panel --------------------------------------------------

export function showFound(core: Core, store: ReplicaStore, old: Uint8Array | null, founded: (c: Client) => void): void {
  headerState('new');
  const name = h('input', { id: 'founder-name', name: 'name', autocomplete: 'name', required: true });
  const role = h('select', { id: 'founder-role', name: 'role' },
    ['clerk', 'chair'].map((r) => h('option', { value: r }, roleLabel(r))));
  const pass = newPassphrase();
  const error = h('p', { class: 'error', role: 'alert', id: 'found-error' });
  const busy = h('p', { class: 'notice', role: 'status', id: 'found-status' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Set up the panel');
  const form = h('form', { class: 'found' },
    h('div', { class: 'field-row' }, field('founder-name', 'Your name', name), field('founder-role', 'Your role', role)),
    pass.el, error, busy,
    h('div', { class: 'actions' }, button, h('a', { href: './', class: 'button', onclick: leaveSetup }, 'Back')));
  screen('found-title', 'Set up a new secured panel',
    h('p', {}, 'For the clerk: this tablet creates the panel’s keys and is the one that invites members. Everything the panel writes is encrypted; the server cannot read it.'),
    old ? h('p', { class: 'hint' }, 'The data already on this tablet is kept aside, not deleted.') : null,
    form);
  onSealedSetup({ core, form, pass, error, busy, button, store, old }, 'Creating the panel’s keys and protecting them with your passphrase…',
    async (client) => {
      const f = client.foundPanel(name.value.trim(), role.value, nowMs());
      return isError(f) ? `The panel was not set up: ${f.error.message}.` : null;
    }, founded);
}

// Both setups end alike: check the passphrase, make the sealed device, run
// `step` on it (join or found: a plain-words problem or null), store it and
// hand it on; any problem is shown and nothing is kept.
interface SetupForm {
  core: Core; form: HTMLFormElement; pass: ReturnType<typeof newPassphrase>; error: HTMLElement; busy: HTMLElement;
  button: HTMLButtonElement; store: ReplicaStore; old: Uint8Array | null;
}
function onSealedSetup(f: SetupForm, busyText: string, step: (c: Client) => Promise<string | null>, done: (c: Client) => void): void {
  const fail = (m: string) => {
    f.error.textContent = m;
    f.busy.textContent = '';
    f.button.disabled = false;
  };
  clearOnInput(f.form, f.error);
  f.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    f.error.textContent = '';
    const problem = f.pass.problem();
    if (problem) {
      f.error.textContent = problem;
      return;
    }
    f.button.disabled = true;
    f.busy.textContent = busyText;
    await nextPaint();
    const made = newSealedClient(f.core, f.pass.value());
    if ('problem' in made) return fail(made.problem);
    let failed = await step(made.client);
    if (!failed) failed = await storeNew(f.store, made.client, f.old);
    if (failed) {
      made.client.delete();
      return fail(failed);
    }
    history.replaceState(null, '', '#/');
    done(made.client);
  });
}

// A new device whose saves are sealed under the passphrase.
function newSealedClient(core: Core, passphrase: string): { client: Client } | { problem: string } {
  const c = core.createClient();
  if (isError(c)) return { problem: `A new device could not be set up: ${c.error.message}.` };
  const p = c.client.setPassphrase(passphrase);
  if (isError(p)) {
    c.client.delete();
    return { problem: `The passphrase could not be set: ${p.error.message}.` };
  }
  return c;
}

// Stores the new (sealed) copy; a previous copy (the demo) is kept aside first.
async function storeNew(store: ReplicaStore, client: Client, old: Uint8Array | null): Promise<string | null> {
  const saved = client.save();
  if (isError(saved)) return `This tablet’s copy could not be saved: ${saved.error.message}.`;
  try {
    if (old) await store.keepAside(old);
    await store.write(saved.bytes.slice(), undefined, false);
  } catch (e) {
    return `This tablet’s copy could not be saved: ${describe(e)}.`;
  }
  return null;
}

function leaveSetup(e: Event): void {
  e.preventDefault();
  history.replaceState(null, '', '#/');
  location.reload();
}

// From the demo's sign-in screen: open the join or set-up screen (a fresh boot).
export function goToSetup(which: 'join' | 'new-panel'): void {
  history.replaceState(null, '', `#/${which}`);
  location.reload();
}
