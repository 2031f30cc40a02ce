// The clerk's desk: import a pack from a PDF (pdf.js text per page) or a text
// file, preview what the core recovered, publish it (a revised file becomes a
// new version, with what changed and where every annotation now stands, and
// the clerk's corrections of the last version's agenda offered again);
// record answers and actions; add members (in a secured panel: one-time
// invites as a link and QR code, and the tablets desk, on the admin device);
// set up the plan's priorities and their leads; see the changes from other
// tablets this tablet refused, and why.
// Parsing, versioning, invites and every rule are the core's.

import { nowMs } from '../clock';
import { isError, rows, securedPanel, type ImportOptions, type ImportPlan, type ImportReport, type Meeting } from '../core';
import { failed, isChair, type Ctx, type View } from '../ctx';
import { h, replaceChildren, showRefusal, userText } from '../dom';
import { dateLabel, roleLabel, statusLabel } from '../labels';
import { adoptAll } from '../adopt';
import { publish as publishInWorker, structure, warmUp } from '../structure';
import { pickMeeting } from './board';
import { ForwardPlan } from './forwardplan';
import { PublicSubmissions } from './submissions';
import { TabletsDesk, inviteCard } from './tablets';

interface Evidence { page: number; line: number; confidence: number }
interface Preview {
  meeting?: { title?: string; date?: string; time?: string; venue?: string; chair?: string; quorum?: number; members?: string[]; evidence?: Record<string, Evidence> };
  items?: { number: string; title: string; pages: string; note: string; exempt: boolean; parent: string; evidence: Evidence; confidence: number }[];
  pages?: number;
  kind?: string;
  outline_used?: boolean;
  page_labels_used?: boolean;
  warnings?: string[];
}

// Below this, a recognised thing is listed for the clerk to check first.
const DOUBTFUL = 0.8;
const where = (e?: Evidence): string => !e ? '' : `${e.page ? `page ${e.page}, ` : ''}line ${e.line}`;
const sureness = (c: number): string => c >= DOUBTFUL ? 'sure' : 'check';

// What kind of file the clerk chose, from its name, type and first bytes.
function fileKind(f: File, head: Uint8Array): 'pdf' | 'text' | 'image' | 'word' | 'other' {
  const magic = String.fromCharCode(...head.slice(0, 5));
  if (magic.startsWith('%PDF') || f.type === 'application/pdf' || /\.pdf$/i.test(f.name)) return 'pdf';
  if (f.type.startsWith('image/') || magic.startsWith('\x89PNG') || (head[0] === 0xff && head[1] === 0xd8)) return 'image';
  if (/\.(docx?|odt|rtf)$/i.test(f.name) || f.type.includes('word')) return 'word';
  if (f.type.startsWith('text/') || /\.(txt|text|md)$/i.test(f.name) || !head.includes(0)) return 'text';
  return 'other';
}

export class ClerkView implements View {
  readonly root: HTMLElement;
  private readonly file = h('input', { type: 'file', id: 'pack-file', name: 'pack', accept: '.pdf,.txt,application/pdf,text/plain' });
  private readonly importStatus = h('div', { class: 'import-status', role: 'status', id: 'import-status' });
  private readonly importError = h('p', { class: 'error', role: 'alert', id: 'import-error' });
  private readonly preview = h('div', { class: 'preview' });
  private readonly meetingSelect = h('select', { id: 'clerk-meeting', name: 'meeting' });
  // A new pack (its meeting found or made from the front sheet), or minutes or
  // a supplement added to a meeting already here.
  private readonly importInto = h('select', { id: 'import-into', name: 'into' });
  private readonly answers = h('div', {});
  private readonly actionsList = h('div', {});
  private readonly members = h('div', { class: 'members' });
  private readonly membersHint = h('p', { class: 'hint' });
  private readonly invite = h('div', { class: 'invite-result', id: 'invite-result', role: 'status' });
  private readonly inviteSlot = h('div', {});
  private readonly memberSlot = h('div', {});
  private inviteForm!: HTMLElement;
  private memberForm!: HTMLElement;
  private readonly priorities = h('div', {});
  private readonly refused = h('div', { id: 'refused-changes' });
  private readonly error = h('p', { class: 'error', role: 'alert', id: 'clerk-error' });
  private input: string | Uint8Array | null = null;
  private pages = 0;  // the previewed pack's, for the publishing progress
  private plan: ImportPlan | null = null;
  private supplementTitle = '';
  private readonly addMembers = h('input', { type: 'checkbox', id: 'import-add-members' });
  private readonly addPriorities = h('input', { type: 'checkbox', id: 'import-add-priorities' });
  private readonly reapply = h('input', { type: 'checkbox', id: 'import-reapply' });
  private source = '';
  private meetingId: string;
  private answerForms = new Map<string, HTMLElement>();
  private readonly publicSubs: PublicSubmissions;
  private readonly desk: TabletsDesk;
  private readonly forwardPlan: ForwardPlan;

  constructor(private readonly ctx: Ctx, meetingId: string) {
    this.meetingId = meetingId;
    this.file.addEventListener('change', () => void this.readFile());
    this.importInto.addEventListener('change', () => { if (this.file.files?.length) void this.readFile(); });
    // The import worker's core loads with the clerk's desk, pdf.js while the
    // clerk picks a file: neither waits for the file.
    warmUp();
    this.file.addEventListener('focus', () => void import('../pdf'), { once: true });
    this.file.addEventListener('pointerdown', () => void import('../pdf'), { once: true });
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
      }, nowMs())), actForm)) actText.value = actOwner.value = actDue.value = '';
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
      if (!this.report(r, invForm) || failed(r)) return;
      invName.value = '';
      inviteCard(this.invite, name, invRole.value, new Date(now + days * 24 * 3600 * 1000), r.ok.code);
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
      if (this.report(this.ctx.write('The member was not added', () => this.ctx.client.addMember(memName.value.trim(), memRole.value, nowMs())), memForm)) {
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
      if (this.report(this.ctx.write('The priority was not added', () => this.ctx.client.addPriority(Number(prNum.value), prTitle.value.trim(), nowMs())), prForm)) {
        prNum.value = prTitle.value = '';
      }
    });

    this.publicSubs = new PublicSubmissions(ctx);
    this.desk = new TabletsDesk(ctx);
    this.forwardPlan = new ForwardPlan(ctx, 'clerk');
    this.root = h('div', { class: 'clerk' },
      h('h1', { class: 'page-title' }, 'Clerk'),
      this.error,
      h('section', { class: 'panel', 'aria-labelledby': 'import-title' },
        h('h2', { id: 'import-title' }, 'Publish a pack'),
        h('p', { class: 'hint', id: 'pack-file-hint' }, 'A PDF or a text file of the agenda pack. Publishing a revised file of the same meeting makes a new version; members see what changed.'),
        field('import-into', 'Publish as', this.importInto),
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
    if (this.importInto.dataset.sig !== sig) {
      const chosen = this.importInto.value;
      replaceChildren(this.importInto, h('option', { value: '' }, 'A new agenda pack (its meeting is read from the front sheet)'),
        meetings.map((m) => h('option', { value: m.id }, `Minutes or a supplement for ${m.title || 'the meeting'}, ${dateLabel(m.date)}`)));
      this.importInto.value = chosen;
      this.importInto.dataset.sig = sig;
    }
    const meeting = meetings.find((m) => m.id === this.meetingId);
    if (meeting) {
      this.renderAfter(meeting);
      this.publicSubs.show(meeting.id);
    }
    this.forwardPlan.update();
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
        ? 'Each member joins on their own tablet with a one-time invite link. Send it to that member only.'
        : 'Invites are made on the tablet that set up the panel.';
    if (admin !== (this.inviteSlot.firstChild === this.inviteForm)) replaceChildren(this.inviteSlot, admin ? this.inviteForm : null);
    // The tablet that manages the panel sees each member's tablets and the
    // invites; any other sees the members only.
    if (admin) {
      if (this.members.firstChild !== this.desk.root) replaceChildren(this.members, this.desk.root);
      this.desk.update();
    } else {
      replaceChildren(this.members, h('ul', { class: 'plain-list' }, this.ctx.members.map((m) => h('li', {}, `${m.name} · ${roleLabel(m.role)}`))));
    }
    if (!secured !== (this.memberSlot.firstChild === this.memberForm)) replaceChildren(this.memberSlot, secured ? null : this.memberForm);
  }

  // `from`: the form or control used, so a refusal shows next to it.
  private report(r: { ok: unknown } | { error: string }, from?: EventTarget | Element | null): boolean {
    showRefusal(this.error, failed(r) ? r.error : '', from instanceof Element ? from : null);
    return !failed(r);
  }

  // ---- import ----------------------------------------------------------------

  private async readFile(): Promise<void> {
    const f = this.file.files?.[0];
    replaceChildren(this.preview);
    this.importError.textContent = '';
    this.input = null;
    this.plan = null;
    if (!f) return;
    this.source = f.name;
    const started = performance.now();
    const kind = fileKind(f, new Uint8Array(await f.slice(0, 4096).arrayBuffer()));
    const refuse = (why: string): void => {
      this.importStatus.textContent = '';
      this.importError.textContent = `${f.name}: ${why} Nothing was published.`;
    };
    if (kind === 'image') return refuse('this is a picture, not an agenda pack. Choose the pack as a PDF or a text file.');
    if (kind === 'word') return refuse('this is a word-processor file. Save it as PDF, then choose the PDF here.');
    if (kind === 'other') return refuse('this is neither a PDF nor a text file. Choose the pack as a PDF or a text file.');
    let r;
    try {
      if (kind === 'pdf') {
        this.importStatus.textContent = 'Reading the PDF…';
        const { pdfSource } = await import('../pdf');
        // Progress every few pages: a status change per page would cost more than the page.
        const src = await pdfSource(await f.arrayBuffer(), (d, t) => {
          if (d === t || d % 10 === 1) this.importStatus.textContent = `Reading the PDF: page ${d} of ${t}…`;
        });
        // Structured in the import worker: the page stays usable meanwhile.
        const n = src.pages.length;
        this.importStatus.textContent = `Finding the agenda in ${n} pages…`;
        const s = await structure(src, !!this.importInto.value, (d, t) => {
          this.importStatus.textContent = `Finding the agenda in ${n} pages: step ${d + 1} of ${t + 1}…`;
        });
        if ('error' in s) return refuse(`${s.error}.`);
        this.input = s.parsed;
        const plan = this.ctx.client.planImport(s.parsed);
        r = 'error' in plan ? plan : { json: s.json, plan: plan.plan };
      } else {
        this.input = await f.text();
        r = this.importInto.value ? this.ctx.client.previewSupplement(this.input) : this.ctx.client.previewText(this.input);
      }
    } catch (e) {
      this.input = null;
      return refuse(`it could not be read${kind === 'pdf' ? ' as a PDF (is it damaged or password-protected?)' : ''}: ${e instanceof Error ? e.message : String(e)}.`);
    }
    if ('error' in r && r.error) {
      this.input = null;
      return refuse(`${r.error.message}.`);
    }
    let p: Preview = {};
    try {
      p = JSON.parse((r as { json: string }).json) as Preview;
    } catch {
      // the preview is only shown; publishing does not depend on it
    }
    this.plan = (r as { plan?: ImportPlan }).plan ?? null;
    this.supplementTitle = this.importInto.value ? p.items?.[0]?.title ?? '' : '';
    const secs = (performance.now() - started) / 1000;
    this.importStatus.textContent = `Read ${f.name} in ${secs < 10 ? secs.toFixed(1) : Math.round(secs)} s. Check what was found, then publish.`;
    this.renderPreview(p);
  }

  private renderPreview(p: Preview): void {
    const items = p.items ?? [];
    const m = p.meeting ?? {};
    const ev = m.evidence ?? {};
    const fields: [string, string, string][] = [
      ['Committee', m.title ?? '', 'body'], ['Date', m.date ? dateLabel(m.date) : '', 'date'], ['Time', m.time ?? '', 'time'],
      ['Venue', m.venue ?? '', 'venue'], ['Chair', m.chair ?? '', 'chair'], ['Quorum', m.quorum ? String(m.quorum) : '', 'quorum'],
    ];
    const doubtful = items.filter((it) => it.confidence < DOUBTFUL).length +
      fields.filter(([, v, k]) => v && ev[k] && ev[k].confidence < DOUBTFUL).length;
    const plan: ImportPlan = this.plan ?? { members: [], priorities: [], corrections: [] };
    const newMembers = plan.members.filter((x) => !x.member);
    const newPriorities = plan.priorities.filter((x) => !x.priority);
    this.addMembers.checked = false;
    this.addPriorities.checked = false;
    // The clerk's corrections of the last version: offered again, ticked.
    const corrections = plan.corrections ?? [];
    const toApply = corrections.filter((c) => c.value);
    this.reapply.checked = toApply.length > 0;
    this.pages = p.pages ?? 0;
    replaceChildren(this.preview,
      h('h3', {}, 'What the pack contains'),
      p.kind === 'supplement' ? h('p', { class: 'notice', id: 'preview-supplement' },
        `To be added to ${this.importInto.selectedOptions[0]?.textContent?.replace(/^Minutes or a supplement for /, '') ?? 'the meeting'} as “${p.items?.[0]?.title ?? ''}”` +
        `${(p as { answers?: unknown[] }).answers?.length ? `, with ${(p as { answers?: unknown[] }).answers?.length} answers and their recording times` : ''}.`) : null,
      p.kind === 'document' ? h('p', { class: 'notice', id: 'preview-no-agenda' },
        'No agenda was recognised in this file. It will be published as one document, every page kept; after publishing, build its agenda in the reader (“Correct the agenda”).') : null,
      h('table', { class: 'preview-fields', id: 'preview-meeting' },
        h('caption', { class: 'visually-hidden' }, 'Meeting details found'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Detail'), h('th', { scope: 'col' }, 'Found'), h('th', { scope: 'col' }, 'Where'), h('th', { scope: 'col' }, 'Confidence'))),
        h('tbody', {}, fields.map(([label, value, k]) => h('tr', { class: ev[k] && ev[k].confidence < DOUBTFUL ? 'doubtful' : '' },
          h('th', { scope: 'row' }, label), h('td', { dir: 'auto' }, value || '—'), h('td', {}, where(ev[k])),
          h('td', {}, ev[k] ? sureness(ev[k].confidence) : (value ? '' : 'not found')))))),
      h('p', { class: 'meta', id: 'preview-count' }, `${items.length} agenda item${items.length === 1 ? '' : 's'}${p.pages ? `, ${p.pages} pages` : ''}` +
        `${p.outline_used ? ', placed with the PDF\u2019s bookmarks' : ''}${p.page_labels_used ? ', page numbers from the PDF\u2019s page labels' : ''}` +
        (doubtful ? `. ${doubtful} thing${doubtful === 1 ? '' : 's'} marked “check” may be misread: look at ${doubtful === 1 ? 'it' : 'them'} first.` : '.')),
      items.length ? h('table', { class: 'preview-items', id: 'preview-items' },
        h('caption', { class: 'visually-hidden' }, 'Agenda items found'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'No.'), h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Pages'),
          h('th', { scope: 'col' }, 'Where'), h('th', { scope: 'col' }, 'Confidence'))),
        h('tbody', {}, items.map((it) => h('tr', { class: it.confidence < DOUBTFUL ? 'doubtful' : '' },
          h('td', {}, it.number), h('td', { dir: 'auto' }, it.title, it.exempt ? h('span', { class: 'meta' }, ' (exempt)') : null),
          h('td', {}, it.pages || it.note), h('td', {}, where(it.evidence)), h('td', {}, sureness(it.confidence)))))) : null,
      plan.members.length ? h('div', { class: 'plan', id: 'preview-members' },
        h('h4', {}, 'Members on the front sheet'),
        h('ul', { class: 'plain-list' }, plan.members.map((x) => h('li', { dir: 'auto' },
          x.member ? `${x.name}: already on the panel (matched by name)` : `${x.name}: not on the panel; would be added as ${roleLabel(x.role)}`,
          x.note ? h('span', { class: 'meta' }, ` (${x.note})`) : null))),
        newMembers.length ? h('div', { class: 'field check' }, this.addMembers,
          h('label', { for: 'import-add-members' }, `Add ${newMembers.length === 1 ? 'this member' : `these ${newMembers.length} members`} to the panel`)) : null) : null,
      plan.priorities.length ? h('div', { class: 'plan', id: 'preview-priorities' },
        h('h4', {}, 'Priorities in the plan'),
        h('ul', { class: 'plain-list' }, plan.priorities.map((x) => h('li', { dir: 'auto' },
          `${x.number}. ${x.title}: ${x.priority ? 'already on the panel (matched)' : 'new'}`))),
        newPriorities.length ? h('div', { class: 'field check' }, this.addPriorities,
          h('label', { for: 'import-add-priorities' }, `Add ${newPriorities.length === 1 ? 'this priority' : `these ${newPriorities.length} priorities`}`)) : null) : null,
      corrections.length ? h('div', { class: 'plan', id: 'preview-corrections' },
        h('h4', {}, 'Your corrections to the last version’s agenda'),
        h('ul', { class: 'plain-list' }, corrections.map((c) => h('li', { dir: 'auto', class: c.value ? '' : 'meta' },
          c.what, c.note ? h('span', { class: 'meta' }, ` (${c.note})`) : null, c.value ? null : h('span', { class: 'meta' }, ': nothing to do')))),
        toApply.length ? h('div', { class: 'field check' }, this.reapply,
          h('label', { for: 'import-reapply' }, `Apply ${toApply.length === 1 ? 'this correction' : `these ${toApply.length} corrections`} to the new version`)) : null) : null,
      p.warnings?.length ? h('ul', { class: 'warnings' }, p.warnings.map((w) => h('li', {}, w))) : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => void this.publish() }, 'Publish this pack')));
  }

  private async publish(): Promise<void> {
    const input = this.input;
    if (!input) return;
    this.input = null;  // one publish per file, however often the button is pressed
    const options: ImportOptions = {
      source: this.source, addMembers: this.addMembers.checked, addPriorities: this.addPriorities.checked,
      reapplyCorrections: this.reapply.checked,
      ...(this.importInto.value ? { supplement: true, meeting: this.importInto.value, title: this.supplementTitle } : {}),
    };
    const bar = h('progress', { id: 'publish-progress', max: '1', value: '0', 'aria-label': 'Publishing the pack' }) as HTMLProgressElement;
    const note = h('span', { id: 'publish-note' }, 'Publishing…');
    replaceChildren(this.importStatus, h('p', {}, note), bar);
    const show = (fraction: number, text: string) => {
      bar.value = fraction;
      note.textContent = text;
    };
    const r = await this.publishOffPage(input, options, show) ?? await this.publishHere(input, options);
    if (failed(r)) {
      this.input = input;
      this.importStatus.textContent = '';
      this.importError.textContent = r.error;
      return;
    }
    const rep: ImportReport = r.ok;
    this.file.value = '';
    const statuses = new Map<string, number>();
    for (const a of rep.annotations) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    replaceChildren(this.preview);
    replaceChildren(this.importStatus, h('p', { id: 'import-result' }, rep.unchanged
      ? 'This file is already the current version of the pack: nothing changed.'
      : `Published version ${rep.version}: ${rep.items} items, ${rep.blocks} passages.` +
        (rep.version > 1 ? ` ${rep.changedBlocks.length} passage${rep.changedBlocks.length === 1 ? '' : 's'} changed since the last version.` : '') +
        (rep.membersAdded ? ` ${rep.membersAdded} member${rep.membersAdded === 1 ? '' : 's'} added to the panel.` : '') +
        (rep.priorities ? ` ${rep.priorities} priorit${rep.priorities === 1 ? 'y' : 'ies'} added.` : '') +
        (rep.corrections ? ` ${rep.corrections} of your corrections to the agenda applied again.` : '') +
        (rep.annotations.length ? ` Members’ annotations: ${[...statuses].map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(', ')}.` : '')),
    h('p', {}, h('a', { href: `#/read/${rep.meeting}` }, 'Open the published pack')));
    this.meetingId = rep.meeting;
  }

  // Published in the import worker, on a copy of this tablet's replica; the
  // changes it made are then taken in here a few at a time. The clerk can
  // keep reading (and writing) meanwhile. null: the worker could not, so it
  // is done here.
  private async publishOffPage(input: string | Uint8Array, options: ImportOptions, show: (f: number, text: string) => void):
    Promise<{ ok: ImportReport } | { error: string } | null> {
    const image = this.ctx.client.plainImage();
    if (isError(image)) return null;
    const pages = this.pages;
    const w = await publishInWorker(image.bytes, input, options, nowMs(), (done, total) => {
      const page = pages ? Math.max(1, Math.round((pages * done) / Math.max(1, total))) : 0;
      show(total ? (0.9 * done) / total : 0, pages ? `Publishing: page ${page} of ${pages}…` : `Publishing: ${done} of ${total} passages…`);
    });
    if ('error' in w) return { error: `The pack was not published: ${w.error}` };
    const { adopted, error } = await adoptAll(this.ctx.client, w.changes, (done, total) =>
      show(0.9 + (0.1 * done) / Math.max(1, total), `Adding it to this tablet: ${done} of ${total}…`));
    if (error !== null && adopted === 0) return null;  // this tablet wrote meanwhile: published here instead
    // Saved, sent and shown, as after any write.
    const saved = this.ctx.write('The pack was not published', () => ({}));
    if (error !== null) return { error: `The pack was only partly published on this tablet (${error}). Publish it again.` };
    return failed(saved) ? saved : { ok: w.report };
  }

  // On this thread: the status is painted first.
  private async publishHere(input: string | Uint8Array, options: ImportOptions): Promise<{ ok: ImportReport } | { error: string }> {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return this.ctx.write('The pack was not published', () => this.ctx.client.importPack(input, options, nowMs()));
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
        onclick: (e: Event) => this.report(this.ctx.write('Not closed', () => client.setActionStatus(a.id, 'closed', nowMs())), e.currentTarget),
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
      this.report(this.ctx.write('The answer was not recorded', () => this.ctx.client.recordResponse(id, text.value.trim(), time.value.trim(), written.checked, nowMs())), form);
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
          this.report(this.ctx.write('The leads were not changed', () => this.ctx.client.setPriorityLeads(p.id, leads, nowMs())), cb);
        });
        return h('div', { class: 'check' }, cb, h('label', { for: id }, m.name));
      })))) : h('p', { class: 'empty' }, 'No priorities yet. A pack with the Police and Crime Plan adds them, or add them here.'));
  }
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
