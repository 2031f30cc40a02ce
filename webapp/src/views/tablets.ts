// The clerk's tablets desk, on the tablet that set up a secured panel: each
// member's tablets with when a change from each was last seen, revoking a
// lost tablet, removing a member, the invites and what became of them, and a
// new invite as a link with its QR code. Every check and every key change is
// the core's (client.tablets, revokeTablet, removeMember); this view shows
// and asks for confirmation.

import { nowMs } from '../clock';
import { isError, type Invite, type PanelMember, type Tablet } from '../core';
import { failed, type Ctx } from '../ctx';
import { h, replaceChildren, showRefusal } from '../dom';
import { roleLabel } from '../labels';
import { qrCanvas } from '../qr';

const MINUTE = 60_000;
// What this tablet did offline (or before the server answered).
const NOT_SENT = 'not yet on the server: it takes effect once this tablet has synced';
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// "5 minutes", "3 hours", "1 day", "12 days".
function span(d: number): string {
  const n = (x: number, unit: string) => `${x} ${unit}${x === 1 ? '' : 's'}`;
  if (d < MINUTE) return 'less than a minute';
  if (d < HOUR) return n(Math.floor(d / MINUTE), 'minute');
  if (d < DAY) return n(Math.floor(d / HOUR), 'hour');
  return n(Math.floor(d / DAY), 'day');
}
// "just now", "5 minutes ago", "yesterday", "12 days ago".
export function ago(ms: number, now: number): string {
  const d = Math.max(0, now - ms);
  if (d < 2 * MINUTE) return 'just now';
  if (d >= DAY && d < 2 * DAY) return 'yesterday';
  return `${span(d)} ago`;
}

const when = (ms: number): string =>
  new Date(ms).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
// A tablet has no name: its first 8 hex digits, as the footer of each tablet shows them.
const short = (device: string): string => device.slice(0, 8);

// The link that opens the join screen with the code filled in. The code is
// in the fragment (after #), which browsers never send: it reaches no
// server log, and the join screen removes it from the history at once.
export function inviteLink(code: string): string {
  return `${location.href.split('#')[0]}#/join/${code}`;
}

export class TabletsDesk {
  readonly root: HTMLElement;
  private readonly list = h('ul', { class: 'plain-list member-tablets', id: 'member-tablets' });
  private readonly invites = h('ul', { class: 'plain-list invite-list', id: 'invite-list' });
  private readonly error = h('p', { class: 'error', role: 'alert', id: 'tablets-error' });
  private readonly dialog = h('dialog', { class: 'confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' });

  constructor(private readonly ctx: Ctx) {
    this.root = h('div', { class: 'tablets-desk', id: 'tablets-desk' },
      h('h3', { id: 'tablets-title' }, 'Members and their tablets'),
      h('p', { class: 'hint' }, '“Last change seen” is the newest change this tablet has received from that tablet, by that tablet’s clock. ' +
        'A tablet that only reads sends no changes, so it can be in use and still show an old time.'),
      this.error, this.list,
      h('h3', { id: 'invites-title' }, 'Invites'),
      this.invites,
      this.dialog);
  }

  update(): void {
    const now = nowMs();
    const r = this.ctx.client.tablets(now);
    if (isError(r)) {
      this.error.textContent = `The panel’s tablets could not be listed: ${r.error.message}.`;
      return;
    }
    replaceChildren(this.list, r.members.map((m) => this.memberRow(m, r.invites, now)));
    replaceChildren(this.invites, r.invites.length
      ? r.invites.map((i) => this.inviteRow(i, now))
      : h('li', { class: 'empty' }, 'No invites yet.'));
  }

  private memberRow(m: PanelMember, invites: Invite[], now: number): HTMLElement {
    const live = m.tablets.filter((t) => t.status === 'active');
    const open = invites.find((i) => i.member === m.id && i.status === 'open');
    const mine = m.tablets.some((t) => t.thisTablet);
    return h('li', { class: `member-tablets-row${m.removed ? ' removed' : ''}`, 'data-member': m.id },
      h('div', { class: 'member-head' },
        h('p', {}, h('strong', { dir: 'auto' }, m.name), ` · ${roleLabel(m.role)}`,
          m.removed ? h('span', { class: 'status-removed' }, ' · Removed from the panel') : null,
          m.pending ? h('span', { class: 'meta' }, ` (${NOT_SENT})`) : null),
        m.removed || mine ? null : h('button', {
          type: 'button', class: 'danger', 'aria-label': `Remove from panel: ${m.name}`,
          onclick: (e: Event) => this.confirmRemove(m, live.length, e.currentTarget as Element),
        }, 'Remove from panel')),
      m.tablets.length
        ? h('ul', { class: 'tablets' }, m.tablets.map((t) => this.tabletRow(m, t, now)))
        : h('p', { class: 'meta' }, m.removed ? 'No tablet.'
          : open ? `No tablet yet: their invite is open until ${when(open.expiresAt)}.` : 'No tablet yet.'));
  }

  private tabletRow(m: PanelMember, t: Tablet, now: number): HTMLElement {
    const seen = t.lastChangeAt ? `last change seen ${ago(t.lastChangeAt, now)}` : 'no change seen from it yet';
    const state = t.pending ? `${t.status === 'revoked' ? 'Revoked' : 'Its member was removed'}, ${NOT_SENT}`
      : t.status === 'revoked' ? 'Revoked: the server refuses it'
        : t.status === 'removed' ? 'Refused: its member was removed'
          : t.thisTablet ? `This tablet · ${seen}` : seen.charAt(0).toUpperCase() + seen.slice(1);
    return h('li', { class: `tablet tablet-${t.status}`, 'data-device': t.device },
      h('div', {},
        h('p', { class: 'tablet-name' }, `Tablet ${short(t.device)}`,
          h('span', { class: 'meta' }, t.joinedAt ? ` · joined ${when(t.joinedAt)}` : ' · set up the panel')),
        h('p', { class: 'tablet-state' }, state)),
      t.status === 'active' && !t.thisTablet ? h('button', {
        type: 'button', class: 'danger', 'aria-label': `Revoke tablet ${short(t.device)} of ${m.name}`,
        onclick: (e: Event) => this.confirmRevoke(m, t, e.currentTarget as Element),
      }, 'Revoke') : null);
  }

  private inviteRow(i: Invite, now: number): HTMLElement {
    const who = `${i.name || 'A member'} (${roleLabel(i.role)})`;
    const text = i.status === 'used' ? `used ${when(i.usedAt)} by tablet ${short(i.device)}`
      : i.status === 'expired' ? `expired ${when(i.expiresAt)}, never used`
        : i.status === 'cancelled' ? 'cancelled: the member was removed before it was used'
          : `open: not used yet, valid until ${when(i.expiresAt)} (${span(i.expiresAt - now)} left)${i.pending ? `; ${NOT_SENT}` : ''}`;
    return h('li', { class: `invite-row invite-${i.status}`, 'data-invite': i.id, 'data-status': i.status },
      h('span', { dir: 'auto' }, who), ': ', h('span', { class: 'invite-status' }, text));
  }

  // ---- confirmation ------------------------------------------------------------

  private confirmRevoke(m: PanelMember, t: Tablet, from: Element): void {
    this.confirm(`Revoke tablet ${short(t.device)}?`,
      [`This is ${m.name}’s tablet ${t.joinedAt ? `that joined ${when(t.joinedAt)}` : ''}. Revoke it if it is lost or stolen.`,
        'The server refuses it from now on, and the panel moves to a new key that it never receives, so it cannot read anything written from now on. What it already holds stays sealed under its owner’s passphrase.',
        `${m.name}’s other tablets go on working. To use a new tablet, ${m.name} needs a new invite.`],
      'Revoke the tablet', from,
      () => this.ctx.write('The tablet was not revoked', () => this.ctx.client.revokeTablet(t.device, nowMs())));
  }

  private confirmRemove(m: PanelMember, tablets: number, from: Element): void {
    this.confirm(`Remove ${m.name} from the panel?`,
      [`${tablets === 0 ? 'They have no tablet yet' : tablets === 1 ? 'Their tablet is refused' : `All ${tablets} of their tablets are refused`} by the server from now on, and any invite of theirs not yet used stops working.`,
        'The panel moves to a new key that none of their tablets receives, so they cannot read anything the panel writes from now on. What they wrote before stays, under their name.',
        'To bring them back, invite them again.'],
      'Remove from the panel', from,
      () => this.ctx.write(`${m.name} was not removed`, () => this.ctx.client.removeMember(m.id, nowMs())));
  }

  // A modal question with the consequences in plain words; `act` runs only on
  // the explicit button, and a refusal is shown beside the control used.
  private confirm(title: string, lines: string[], yes: string, from: Element,
    act: () => { ok: unknown } | { error: string }): void {
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    replaceChildren(this.dialog,
      h('h2', { id: 'confirm-title' }, title),
      h('div', { id: 'confirm-text' }, lines.map((l) => h('p', {}, l))),
      h('div', { class: 'actions' },
        h('button', {
          type: 'button', class: 'primary danger-fill', onclick: () => {
            this.dialog.close();
            const r = act();
            showRefusal(this.error, failed(r) ? r.error : '', from.isConnected ? from : null);
          },
        }, yes),
        cancel));
    cancel.addEventListener('click', () => this.dialog.close());
    this.dialog.showModal();
    cancel.focus();
  }
}

// The invite just made: a link and its QR code for the member's tablet, and
// the code itself, to type only when neither can be used.
export function inviteCard(out: HTMLElement, name: string, role: string, until: Date, code: string): void {
  const link = inviteLink(code);
  const linkOut = h('input', { id: 'invite-link-out', readonly: true, value: link, spellcheck: 'false' });
  const codeOut = h('textarea', { dir: 'auto', id: 'invite-code-out', readonly: true, rows: 3, spellcheck: 'false' }, code);
  const copied = h('span', { class: 'saved', role: 'status' });
  const qrSlot = h('div', { class: 'qr-slot', id: 'invite-qr' });
  const copy = (text: string, what: string) => {
    void navigator.clipboard?.writeText(text).then(() => { copied.textContent = `${what} copied.`; },
      () => { copied.textContent = `Select the ${what.toLowerCase()} and copy it.`; });
  };
  replaceChildren(out,
    h('p', {}, `Invite for ${name} (${roleLabel(role)}): one use, valid until ${until.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}. It works once it has reached the server: check that nothing is pending above.`),
    h('div', { class: 'invite-how' },
      qrSlot,
      h('div', {},
        h('p', {}, `On ${name}’s tablet, scan this QR code with the camera, or open the link: the join screen opens with the invite filled in. Send the link to ${name} only; whoever opens it first joins as ${name}.`),
        h('div', { class: 'field' }, h('label', { for: 'invite-link-out' }, `Invite link for ${name}`), linkOut),
        h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: () => copy(link, 'Link') }, 'Copy link'), copied))),
    h('details', { class: 'invite-code' },
      h('summary', {}, 'No camera or link? Show the code to type'),
      h('div', { class: 'field' }, h('label', { for: 'invite-code-out' }, `Invite code for ${name}`), codeOut),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => copy(code, 'Code') }, 'Copy code'))));
  void qrCanvas(link, `QR code of the invite link for ${name}`).then(
    (c) => replaceChildren(qrSlot, c),
    () => replaceChildren(qrSlot, h('p', { class: 'meta' }, 'The QR code could not be drawn here; use the link.')));
}
