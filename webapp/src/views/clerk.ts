// The clerk's desk: import a pack from a PDF (pdf.js text per page) or a text
// file, preview what the core recovered, publish it (a revised file becomes a
// new version, with what changed and where every annotation now stands);
// record answers and actions; add members (in a secured panel: one-time
// invites, made on the admin device); set up the plan's priorities and their
// leads; see the changes from other tablets this tablet refused, and why.
// Parsing, versioning, invites and every rule are the core's.

import { nowMs } from '../clock';
import { rows, securedPanel, type ImportReport, type Meeting } from '../core';
import { failed, isChair, type Ctx, type View } from '../ctx';
import { h, replaceChildren, userText } from '../dom';
import { dateLabel, roleLabel, statusLabel } from '../labels';
import { pickMeeting } from './board';
import { ForwardPlan } from './forwardplan';
import { PublicSubmissions } from './submissions';

interface Preview {
  meeting?: { title?: string; date?: string; time?: string; venue?: string };
  items?: { number: string; title: string; pages: string }[];
  pages?: number;
  kind?: string;
  warnings?: string[];
}

export class ClerkView implements View {
  readonly root: HTMLElement;
  private readonly file = h('input', { type: 'file', id: 'pack-file', name: 'pack', accept: '.pdf,.txt,application/pdf,text/plain' });
  private readonly importStatus = h('div', { class: 'import-status', role: 'status', id: 'import-status' });
  private readonly importError = h('p', { class: 'error', role: 'alert', id: 'import-error' });
  private readonly preview = h('div', { class: 'preview' });
  private readonly meetingSelect = h('select', { id: 'clerk-meeting', name: 'meeting' });
  private readonly answers = h('div', {});
  private readonly actionsList = h('div', {});
  private readonly members = h('ul', { class: 'plain-list' });
  private readonly membersHint = h('p', { class: 'hint' });
  private readonly invite = h('div', { class: 'invite-result', id: 'invite-result', role: 'status' });
  private readonly inviteSlot = h('div', {});
  private readonly memberSlot = h('div', {});
  private inviteForm!: HTMLElement;
  private memberForm!: HTMLElement;
  private readonly priorities = h('div', {});
  private readonly refused = h('div', { id: 'refused-changes' });
  private readonly error = h('p', { class: 'error', role: 'alert', id: 'clerk-error' });
  private input: string | string[] | null = null;
  private source = '';
  private meetingId: string;
  private answerForms = new Map<string, HTMLElement>();
  private readonly publicSubs: PublicSubmissions;
  private readonly forwardPlan: ForwardPlan;

  constructor(private readonly ctx: Ctx, meetingId: string) {
    this.meetingId = meetingId;
    this.file.addEventListener('change', () => void this.readFile());
    this.meetingSelect.addEventListener('change', () => this.ctx.navigate(`#/clerk/${this.meetingSelect.value}`));

    const actText = h('input', { id: 'action-text', name: 'text' });
    const actOwner = h('input', { id: 'action-owner', name: 'owner', placeholder: 'e.g. PCC' });
    const actDue = h('input', { id: 'action-due', name: 'due', type: 'date' });
    const actForm = h('form', { class: 'add-action', 'aria-labelledby': 'add-action-title' },
      h('h3', { id: 'add-action-title' }, 'Add an action'),
      field('action-text', 'Action', actText),
      h('div', { class: 'field-row' }, field('action-owner', 'Owner', actOwner), field('action-due', 'Due', actDue)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add action')));
    actForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.report(this.ctx.write('The action was not added', () => this.ctx.client.addAction({
        meeting: this.meetingId, text: actText.value.trim(), owner: actOwner.value.trim(), due: actDue.value, status: 'open',
      }, nowMs())))) actText.value = actOwner.value = actDue.value = '';
    });

    const invName = h('input', { id: 'invite-name', name: 'name', autocomplete: 'off', required: true });
    const invRole = h('select', { id: 'invite-role', name: 'role' },
      ['member', 'independent_member', 'vice_chair', 'chair', 'officer', 'clerk'].map((r) => h('option', { value: r }, roleLabel(r))));
    const invDays = h('select', { id: 'invite-days', name: 'days' },
      [['1', '1 day'], ['7', '7 days'], ['14', '14 days']].map(([v, l]) => h('option', { value: v, selected: v === '7' }, l)));
    const invForm = h('form', { class: 'invite', 'aria-labelledby': 'invite-title' },
      h('h3', { id: 'invite-title' }, 'Invite a member'),
      h('div', { class: 'field-row' }, field('invite-name', 'Name', invName), field('invite-role', 'Role', invRole),
        field('invite-days', 'Valid for', invDays)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create invite')));
    invForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const name = invName.value.trim();
      const days = Number(invDays.value);
      const now = nowMs();
      const r = this.ctx.write('The invite was not created',
        () => this.ctx.client.inviteMember(name, invRole.value, now, days * 24 * 3600 * 1000));
      if (!this.report(r) || failed(r)) return;
      invName.value = '';
      this.showInvite(name, invRole.value, new Date(now + days * 24 * 3600 * 1000), r.ok.code);
    });
    this.inviteForm = invForm;

    const memName = h('input', { id: 'member-name', name: 'name', autocomplete: 'off' });
    const memRole = h('select', { id: 'member-role', name: 'role' },
      ['member', 'independent_member', 'vice_chair', 'chair', 'officer', 'clerk'].map((r) => h('option', { value: r }, roleLabel(r))));
    const memForm = h('form', { class: 'add-member', 'aria-labelledby': 'add-member-title' },
      h('h3', { id: 'add-member-title' }, 'Add a member'),
      h('div', { class: 'field-row' }, field('member-name', 'Name', memName), field('member-role', 'Role', memRole)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add member')));
    this.memberForm = memForm;
    memForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.report(this.ctx.write('The member was not added', () => this.ctx.client.addMember(memName.value.trim(), memRole.value, nowMs())))) {
        memName.value = '';
      }
    });

    const prNum = h('input', { id: 'priority-number', name: 'number', type: 'number', min: '1', inputmode: 'numeric' });
    const prTitle = h('input', { id: 'priority-title-input', name: 'title' });
    const prForm = h('form', { class: 'add-priority', 'aria-labelledby': 'add-priority-title' },
      h('h3', { id: 'add-priority-title' }, 'Add a priority'),
      h('div', { class: 'field-row' }, field('priority-number', 'Number', prNum), field('priority-title-input', 'Title', prTitle)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add priority')));
    prForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.report(this.ctx.write('The priority was not added', () => this.ctx.client.addPriority(Number(prNum.value), prTitle.value.trim(), nowMs())))) {
        prNum.value = prTitle.value = '';
      }
    });

    this.publicSubs = new PublicSubmissions(ctx);
    this.forwardPlan = new ForwardPlan(ctx, 'clerk');
    this.root = h('div', { class: 'clerk' },
      h('h1', { class: 'page-title' }, 'Clerk'),
      this.error,
      h('section', { class: 'panel', 'aria-labelledby': 'import-title' },
        h('h2', { id: 'import-title' }, 'Publish a pack'),
        h('p', { class: 'hint', id: 'pack-file-hint' }, 'A PDF or a text file of the agenda pack. Publishing a revised file of the same meeting makes a new version; members see what changed.'),
        field('pack-file', 'Pack file', this.file),
        this.importError, this.importStatus, this.preview),
      h('section', { class: 'panel', 'aria-labelledby': 'after-title' },
        h('h2', { id: 'after-title' }, 'Answers and actions'),
        field('clerk-meeting', 'Meeting', this.meetingSelect),
        h('h3', {}, 'Answers to the final list'), this.answers,
        h('h3', {}, 'Actions'), this.actionsList, actForm),
      this.publicSubs.root,
      h('section', { class: 'panel', 'aria-labelledby': 'members-title' },
        h('h2', { id: 'members-title' }, 'Members'),
        this.membersHint, this.members, this.inviteSlot, this.invite, this.memberSlot),
      h('section', { class: 'panel', 'aria-labelledby': 'plan-title' },
        h('h2', { id: 'plan-title' }, 'Plan priorities and leads'), this.priorities, prForm),
      this.forwardPlan.root,
      h('section', { class: 'panel', 'aria-labelledby': 'refused-title' },
        h('h2', { id: 'refused-title' }, 'Changes this tablet refused'),
        h('p', { class: 'hint' }, 'Changes from other tablets that this tablet could not apply, with the reason. ' +
          'They are kept and tried again each time the tablet connects; a change the panel’s rules refuse is refused on every tablet.'),
        this.refused),
    );
    this.file.setAttribute('aria-describedby', 'pack-file-hint');
  }

  update(): void {
    if (this.ctx.role !== 'clerk' && !isChair(this.ctx.role)) {
      replaceChildren(this.root, h('section', { class: 'panel narrow' }, h('h1', {}, 'Clerk'),
        h('p', {}, 'Only the clerk publishes packs and records answers and actions.')));
      return;
    }
    const { client } = this.ctx;
    const meetings = rows(client.meetings(), this.ctx.readError);
    if (!meetings.some((m) => m.id === this.meetingId)) this.meetingId = pickMeeting(meetings)?.id ?? '';
    const sig = meetings.map((m) => m.id + m.date).join();
    if (this.meetingSelect.dataset.sig !== sig) {
      replaceChildren(this.meetingSelect, meetings.map((m) => h('option', { value: m.id }, `${m.title || 'Meeting'}, ${dateLabel(m.date)}`)));
      this.meetingSelect.dataset.sig = sig;
    }
    this.meetingSelect.value = this.meetingId;
    const meeting = meetings.find((m) => m.id === this.meetingId);
    if (meeting) {
      this.renderAfter(meeting);
      this.publicSubs.show(meeting.id);
    }
    this.forwardPlan.update();
    replaceChildren(this.members, this.ctx.members.map((m) => h('li', {}, `${m.name} · ${roleLabel(m.role)}`)));
    this.renderEnrolment();
    this.renderPriorities();
    this.renderRefused();
  }

  private renderRefused(): void {
    const refused = rows(this.ctx.client.refusedChanges(), this.ctx.readError);
    replaceChildren(this.refused, refused.length === 0
      ? h('p', { class: 'empty' }, 'None: this tablet has applied every change it received.')
      : h('ul', { class: 'plain-list' }, refused.map((c) => h('li', {},
        `Change ${c.seq} of device ${c.device ? c.device.slice(0, 8) : '(unreadable)'} (number ${c.serverSeq} on the server): ${c.reason}. `,
        h('span', { class: 'hint' }, c.final ? 'Refused by the panel’s rules on every tablet.' : 'Tried again at the next connection.')))));
  }

  // Secured panel: invites on the admin device; open panel (the demo): members
  // are added directly and can sign in on any tablet.
  private renderEnrolment(): void {
    const { client } = this.ctx;
    const secured = securedPanel(client);
    const admin = secured && client.isAdmin();
    this.membersHint.textContent = !secured
      ? 'This is an open panel: a member added here can sign in on any tablet of the panel. Invites are for secured panels.'
      : admin
        ? 'Each member joins on their own tablet with a one-time invite. Give the code to that member only.'
        : 'Invites are made on the tablet that set up the panel.';
    if (admin !== (this.inviteSlot.firstChild === this.inviteForm)) replaceChildren(this.inviteSlot, admin ? this.inviteForm : null);
    if (!secured !== (this.memberSlot.firstChild === this.memberForm)) replaceChildren(this.memberSlot, secured ? null : this.memberForm);
  }

  private showInvite(name: string, role: string, until: Date, code: string): void {
    const out = h('textarea', { dir: 'auto', id: 'invite-code-out', readonly: true, rows: 3, spellcheck: 'false' }, code);
    const copied = h('span', { class: 'saved', role: 'status' });
    replaceChildren(this.invite,
      h('p', {}, `Invite for ${name} (${roleLabel(role)}): one use, valid until ${until.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}. It works once it has reached the server: check that nothing is pending above.`),
      h('div', { class: 'field' }, h('label', { for: 'invite-code-out' }, `Invite code for ${name}`), out),
      h('div', { class: 'actions' },
        h('button', {
          type: 'button', onclick: () => {
            out.select();
            void navigator.clipboard?.writeText(code).then(() => { copied.textContent = 'Copied.'; }, () => { copied.textContent = 'Select the code and copy it.'; });
          },
        }, 'Copy code'), copied));
  }

  private report(r: { ok: unknown } | { error: string }): boolean {
    this.error.textContent = failed(r) ? r.error : '';
    return !failed(r);
  }

  // ---- import ----------------------------------------------------------------

  private async readFile(): Promise<void> {
    const f = this.file.files?.[0];
    replaceChildren(this.preview);
    this.importError.textContent = '';
    this.input = null;
    if (!f) return;
    this.source = f.name;
    const isPdf = f.type === 'application/pdf' || /\.pdf$/i.test(f.name);
    try {
      if (isPdf) {
        this.importStatus.textContent = 'Reading the PDF…';
        const { pdfPages } = await import('../pdf');
        this.input = await pdfPages(await f.arrayBuffer(), (d, t) => { this.importStatus.textContent = `Reading the PDF: page ${d} of ${t}…`; });
      } else {
        this.input = await f.text();
      }
    } catch (e) {
      this.importStatus.textContent = '';
      this.importError.textContent = `${f.name} could not be read${isPdf ? ' as a PDF' : ''}: ${e instanceof Error ? e.message : String(e)}. Nothing was published.`;
      return;
    }
    const r = Array.isArray(this.input) ? this.ctx.client.previewPages(this.input) : this.ctx.client.previewText(this.input);
    if ('error' in r && r.error) {
      this.importStatus.textContent = '';
      this.importError.textContent = `${f.name} is not a pack Packline can read: ${r.error.message}. Nothing was published.`;
      this.input = null;
      return;
    }
    let p: Preview = {};
    try {
      p = JSON.parse((r as { json: string }).json) as Preview;
    } catch {
      // the preview is only shown; publishing does not depend on it
    }
    this.importStatus.textContent = `Read ${f.name}. Check what was found, then publish.`;
    const items = p.items ?? [];
    replaceChildren(this.preview,
      h('h3', {}, 'What the pack contains'),
      h('p', {}, [p.meeting?.title, p.meeting?.date ? dateLabel(p.meeting.date) : '', p.meeting?.time, p.meeting?.venue].filter(Boolean).join(' · ')),
      h('p', { class: 'meta', id: 'preview-count' }, `${items.length} agenda item${items.length === 1 ? '' : 's'}${p.pages ? `, ${p.pages} pages` : ''}`),
      items.length ? h('table', { class: 'preview-items' },
        h('caption', { class: 'visually-hidden' }, 'Agenda items found'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'No.'), h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Pages'))),
        h('tbody', {}, items.map((it) => h('tr', {}, h('td', {}, it.number), h('td', {}, it.title), h('td', {}, it.pages))))) : null,
      p.warnings?.length ? h('ul', { class: 'warnings' }, p.warnings.map((w) => h('li', {}, w))) : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => this.publish() }, 'Publish this pack')));
  }

  private publish(): void {
    const input = this.input;
    if (!input) return;
    this.importStatus.textContent = 'Publishing…';
    const r = this.ctx.write('The pack was not published', () => this.ctx.client.importPack(input, { source: this.source }, nowMs()));
    if (failed(r)) {
      this.importStatus.textContent = '';
      this.importError.textContent = r.error;
      return;
    }
    const rep: ImportReport = r.ok;
    this.input = null;
    this.file.value = '';
    const statuses = new Map<string, number>();
    for (const a of rep.annotations) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    replaceChildren(this.preview);
    replaceChildren(this.importStatus, h('p', { id: 'import-result' }, rep.unchanged
      ? 'This file is already the current version of the pack: nothing changed.'
      : `Published version ${rep.version}: ${rep.items} items, ${rep.blocks} passages.` +
        (rep.version > 1 ? ` ${rep.changedBlocks.length} passage${rep.changedBlocks.length === 1 ? '' : 's'} changed since the last version.` : '') +
        (rep.annotations.length ? ` Members’ annotations: ${[...statuses].map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(', ')}.` : '')),
    h('p', {}, h('a', { href: `#/read/${rep.meeting}` }, 'Open the published pack')));
    this.meetingId = rep.meeting;
  }

  // ---- answers and actions ---------------------------------------------------

  private renderAfter(m: Meeting): void {
    const { client } = this.ctx;
    const list = rows(client.consolidatedList(m.id), this.ctx.readError);
    const responses = rows(client.responses(m.id), this.ctx.readError);
    replaceChildren(this.answers, list.length ? h('ol', { class: 'answer-list' }, list.map((c) => {
      const answered = responses.filter((x) => x.consolidated === c.id);
      let form = this.answerForms.get(c.id);
      if (!form) {
        form = this.answerForm(c.id, c.number);
        this.answerForms.set(c.id, form);
      }
      return h('li', { 'data-consolidated': c.id },
        h('p', { class: 'body' }, h('strong', {}, `Q${c.number}. `), userText('span', c.body)),
        answered.map((x) => h('p', { class: 'answer' }, x.written ? 'Answered in writing: ' : `Answered at ${x.recordingTime || 'the meeting'}: `, x.text)),
        answered.length ? null : form);
    })) : h('p', { class: 'empty' }, 'The chair has not made the final list for this meeting yet.'));

    const acts = rows(client.actions(m.id), this.ctx.readError);
    replaceChildren(this.actionsList, acts.length ? h('ul', { class: 'plain-list' }, acts.map((a) => h('li', { class: 'action-row' },
      h('span', {}, a.text), ' ',
      h('span', { class: 'meta' }, [a.owner, a.due && `due ${dateLabel(a.due)}`, statusLabel(a.status || 'open'), a.carried ? 'carried over' : ''].filter(Boolean).join(' · ')),
      a.status !== 'closed' ? h('button', {
        type: 'button', 'aria-label': `Close action: ${a.text.slice(0, 50)}`,
        onclick: () => this.report(this.ctx.write('Not closed', () => client.setActionStatus(a.id, 'closed', nowMs()))),
      }, 'Close') : null))) : h('p', { class: 'empty' }, 'No actions yet.'));
  }

  private answerForm(id: string, n: number): HTMLElement {
    const text = h('textarea', { dir: 'auto', id: `answer-${id}`, rows: 3 });
    const time = h('input', { id: `answer-time-${id}`, placeholder: '01:20:24', inputmode: 'numeric' });
    const written = h('input', { type: 'checkbox', id: `answer-written-${id}` });
    const form = h('form', { class: 'answer-form' },
      field(`answer-${id}`, `Answer to Q${n}`, text),
      h('div', { class: 'field-row' }, field(`answer-time-${id}`, `Recording time of the answer to Q${n}`, time),
        h('div', { class: 'field check' }, written, h('label', { for: `answer-written-${id}` }, `Q${n} answered in writing`))),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, `Record the answer to Q${n}`)));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.report(this.ctx.write('The answer was not recorded', () => this.ctx.client.recordResponse(id, text.value.trim(), time.value.trim(), written.checked, nowMs())));
    });
    return form;
  }

  // ---- priorities ----------------------------------------------------------------

  private renderPriorities(): void {
    const all = rows(this.ctx.client.priorities(), this.ctx.readError);
    const panel = this.ctx.members.filter((m) => m.role !== 'clerk' && m.role !== 'officer');
    replaceChildren(this.priorities, all.length ? all.map((p) => h('fieldset', { class: 'leads', 'data-priority': p.id },
      h('legend', {}, `${p.number}. ${p.title}`),
      h('div', { class: 'checks' }, panel.map((m) => {
        const id = `lead-${p.id}-${m.id}`;
        const cb = h('input', { type: 'checkbox', id, checked: p.leads.includes(m.id) });
        cb.addEventListener('change', () => {
          const leads = cb.checked ? [...p.leads, m.id] : p.leads.filter((x) => x !== m.id);
          this.report(this.ctx.write('The leads were not changed', () => this.ctx.client.setPriorityLeads(p.id, leads, nowMs())));
        });
        return h('div', { class: 'check' }, cb, h('label', { for: id }, m.name));
      })))) : h('p', { class: 'empty' }, 'No priorities yet. A pack with the Police and Crime Plan adds them, or add them here.'));
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
