// Types of the WASM core's JavaScript API (client-core/wasm/API.md) and its
// loader. The core owns the replica and all data logic; the page only moves
// bytes and renders plain values. Errors come back as values, never thrown.

export interface CoreError {
  code: number;
  message: string;
}
export type Fallible<T> = T | { error: CoreError };

export interface Member {
  id: string;
  name: string;
  role: string;
}
// The clerk's tablets desk (admin device only; client.tablets).
export interface Tablet {
  device: string;
  status: 'active' | 'revoked' | 'removed';
  joinedAt: number; // 0: the founder's own, enrolled when the panel was set up
  lastChangeAt: number; // newest change from it this tablet holds; 0: none
  thisTablet: boolean;
  pending: boolean; // revoked or removed here, not yet on the server
}
export interface PanelMember extends Member {
  removed: boolean;
  pending: boolean; // removed here, not yet on the server
  tablets: Tablet[];
}
export interface Invite {
  id: string;
  member: string;
  name: string;
  role: string;
  expiresAt: number;
  status: 'open' | 'used' | 'expired' | 'cancelled';
  device: string; // the tablet that joined with it ('' unless used)
  usedAt: number;
  pending: boolean; // made here, not yet on the server: it works once it is
}
export interface Meeting {
  id: string;
  title: string;
  date: string;
  time: string;
  venue: string;
  kind: string;
  status: string;
  body: string;
  chair: string;
  viceChair: string;
  publicDeadline: string;
  pack: string;
  quorum: number;
}
export interface Item {
  id: string;
  meeting: string;
  number: string;
  title: string;
  pages: string;
  description: string;
  exempt: boolean;
  firstPage: number;
  lastPage: number;
  document: string;
  removed: boolean;
  placed: boolean; // the clerk chose its pages in the reader
}
export interface Question {
  id: string;
  meeting: string;
  item: string;
  author: string;
  target: string;
  section: string;
  body: string;
  status: string;
  createdAt: number;
  priority: string;
  subparts: number;
  outcome: string;
}
export interface QuestionDraft {
  item: string;
  body: string;
  priority?: string;
  target?: string;
  section?: string;
  subparts?: number;
}
export interface PackVersion {
  id: string;
  meeting: string;
  title: string;
  source: string;
  kind: string;
  fingerprint: string;
  version: number;
  pages: number;
  blocks: number;
  createdAt: number;
}
export interface Block {
  id: string;
  item: string;
  kind: string;
  text: string;
  hash: string;
  page: number;
  position: number;
}
export interface BlockChange {
  kind: 'added' | 'removed' | 'changed';
  item: string;
  oldBlock: string;
  newBlock: string;
  oldText: string;
  newText: string;
  page: number;
}
// The signed-in member's read mark on a meeting's pack (core: workflow::changed_since_read).
export interface Reading {
  meeting: string;
  readPack: string; // '' : never marked (or the mark does not open on this device)
  currentPack: string;
  readVersion: number;
  currentVersion: number;
  changed: BlockChange[]; // read version -> current; empty when current or never marked
}
export type Visibility = 'private' | 'priority' | 'panel';
export interface Annotation {
  id: string;
  meeting: string;
  item: string;
  author: string;
  kind: 'highlight' | 'note';
  body: string;
  visibility: Visibility;
  priority: string;
  quote: string;
  prefix: string;
  suffix: string;
  start: number;
  end: number;
  createdAt: number;
  editedAt: number; // last edit by the author; 0: never edited
  status: 'exact' | 'moved' | 'text_changed' | 'orphaned';
  block: string;
  page: number;
  curStart: number;
  curEnd: number;
  currentText: string;
  locked: boolean; // shared with a priority's leads under a key this tablet does not hold: no words here
}
export interface AnnotationDraft {
  block: string;
  start: number; // UTF-8 byte offsets into the block's text
  end: number;
  kind: 'highlight' | 'note';
  body: string;
  visibility: Visibility;
  priority: string;
}
export interface ImportReport {
  meeting: string;
  pack: string;
  kind: string;
  version: number;
  items: number;
  blocks: number;
  changes: number;
  forwardPlan: number;
  priorities: number;
  membersAdded: number;
  corrections: number; // the clerk's earlier corrections applied again
  plan: ImportPlan;
  unchanged: boolean;
  changedBlocks: BlockChange[];
  annotations: Annotation[];
}
// What an import would do to the panel: matched (member/priority set) or new.
export interface ImportPlan {
  members: { name: string; role: string; member: string; note: string }[];
  priorities: { number: number; title: string; priority: string }[];
  // The clerk's corrections of earlier versions, as they would apply ('' value: nothing to apply; note says why).
  corrections: { item: string; number: string; title: string; field: string; value: string; what: string; note: string }[];
}
// The import's neutral form as pdf.js reads a PDF (webapp/src/pdf.ts): per
// page, its text runs joined by NUL and five numbers per run (x, y from the
// top, width, size, bold 0/1), its page label; the outline with pages.
export interface PackSource {
  pages: { text: string; geom: Float64Array; label: string }[];
  outline: { title: string; page: number; level: number }[];
}
export interface ImportOptions {
  meeting?: string;
  source?: string;
  title?: string;
  supplement?: boolean;
  addMembers?: boolean;
  addPriorities?: boolean;
  reapplyCorrections?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}
export interface Priority {
  id: string;
  number: number;
  title: string;
  plan: string;
  leads: string[];
  sharesNotes: boolean; // this tablet may share a note with the priority's leads
}
export interface Kloe {
  id: string;
  priority: string;
  topic: string;
  owner: string;
  bullets: string;
  targetMeeting: string;
  approach: string;
  status: string;
}
export interface Conflict {
  row: string;
  field: string;
  winner: unknown;
  others: unknown[];
}
export interface Consolidated {
  id: string;
  meeting: string;
  position: string;
  section: string;
  body: string;
  lead: string;
  leadLabel: string;
  priority: string;
  target: string;
  status: string;
  sources: string[];
  number: number;
}
export interface ConsolidatedDraft {
  meeting: string;
  sources: string[];
  body: string;
  section?: string;
  lead?: string;
  leadLabel?: string;
  priority?: string;
  target?: string;
}
export interface ForwardItem {
  id: string;
  meetingLabel: string;
  meetingDate: string;
  title: string;
  notes: string;
  raisedBy: string;
  lead: string;
  kloes: string;
  approach: string;
  position: number;
}
export interface PanelRules {
  questionsPerCouncillor: number;
  subpartsCount: boolean;
  publicMaxWords: number;
  publicPerPerson: number;
  publicAcceptFirst: number;
  publicDeadlineRule: string;
}
export interface SubmissionDraft {
  meeting: string;
  name: string;
  kind: 'question' | 'statement';
  body: string;
  receivedAt: number;
}
export interface Submission {
  id: string;
  meeting: string;
  name: string;
  kind: string;
  body: string;
  words: number;
  receivedAt: number;
  accepted: boolean;
  reason: string; // why not accepted, in plain words
}
export interface Response {
  id: string;
  meeting: string;
  consolidated: string;
  text: string;
  recordingTime: string;
  written: boolean;
}
export interface Action {
  id: string;
  meeting: string;
  consolidated: string;
  text: string;
  owner: string;
  due: string;
  status: string;
  carried: boolean;
}
export type SyncState = 'offline' | 'connecting' | 'syncing' | 'synced';

export interface FrameResult {
  frames: Uint8Array[];
  changed: boolean;
  error?: CoreError;
  // Remote changes this replica refused, in plain words (a rule was broken).
  rejected?: string[];
  // After a welcome from a v4 server: the server's clock minus nowMs (ms).
  clockOffset?: number;
}

// A remote change this tablet refused, kept and tried again at every welcome.
export interface RefusedChange {
  serverSeq: number;
  device: string;
  seq: number;
  reason: string;
  // Refused by the panel's rules, as on every tablet (not tried again).
  final: boolean;
}

type Ok = Fallible<Record<string, never>>;
type Id = Fallible<{ id: string }>;

export interface Client {
  save(): Fallible<{ bytes: Uint8Array }>;
  // Secured panels: sealed at rest from the next save on (Argon2id; blocks for about a second in WASM).
  setPassphrase(passphrase: string): Ok;
  // Past the panel's offline lease: the copy is put away and nothing of the panel can be read; only
  // sync, until the server (after this device's signed auth) hands back the key that reopens it.
  locked(): boolean;
  // Puts the copy away once the offline lease has run out (call on a timer); whether it is locked now.
  lockIfExpired(nowMs: number): Fallible<{ locked: boolean }>;
  // The panel moved to a new key this device has not been given yet; it comes with a sync.
  waitingForKey(): boolean;
  redeemInvite(code: string, nowMs: number): Ok;
  secured(): boolean;
  isAdmin(): boolean;
  myMember(): string;
  foundPanel(name: string, role: string, nowMs: number): Id;
  inviteMember(name: string, role: string, nowMs: number, ttlMs: number): Fallible<{ member: string; code: string }>;
  deviceId(): string;
  tablets(nowMs: number): Fallible<{ members: PanelMember[]; invites: Invite[] }>;
  revokeTablet(device: string, nowMs: number): Ok;
  removeMember(member: string, nowMs: number): Ok;
  members(): Fallible<Member[]>;
  meetings(): Fallible<Meeting[]>;
  meetingById(id: string): Fallible<Meeting>;
  items(meetingId: string, includeRemoved: boolean): Fallible<Item[]>;
  signedInMember(): string;
  myRole(): string;
  signIn(memberId: string): Ok;
  addMember(name: string, role: string, nowMs: number): Id;
  // The clerk's corrections to the current version's agenda (afterItem '': first).
  addItem(meetingId: string, number: string, title: string, afterItem: string, nowMs: number): Id;
  renameItem(id: string, number: string, title: string, nowMs: number): Ok;
  moveItem(id: string, afterItem: string, nowMs: number): Ok;
  setItemPages(id: string, first: number, last: number, nowMs: number): Ok;
  setItemExempt(id: string, exempt: boolean, nowMs: number): Ok;
  previewPages(pages: string[]): Fallible<{ json: string; plan?: ImportPlan }>;
  previewText(text: string): Fallible<{ json: string; plan?: ImportPlan }>;
  previewSupplement(text: string): Fallible<{ json: string; plan?: ImportPlan }>;
  previewSource(source: PackSource, options: { supplement?: boolean; onProgress?: ImportOptions['onProgress'] }): Fallible<{ json: string; plan?: ImportPlan }>;
  // The structured pack from the import worker (structure.ts): what importing it would do to the panel.
  planImport(parsed: Uint8Array): Fallible<{ plan: ImportPlan }>;
  importPack(input: string | string[] | PackSource | Uint8Array, options: ImportOptions, nowMs: number): Fallible<ImportReport>;
  packs(meetingId: string): Fallible<PackVersion[]>;
  blocks(itemId: string): Fallible<Block[]>;
  packChanges(fromPack: string, toPack: string): Fallible<BlockChange[]>;
  markRead(packId: string, nowMs: number): Ok;
  changedSinceRead(meetingId: string): Fallible<Reading>;
  annotate(a: AnnotationDraft, nowMs: number): Id;
  annotations(meetingId: string): Fallible<Annotation[]>;
  editAnnotation(id: string, body: string, visibility: Visibility, priority: string, nowMs: number): Ok;
  deleteAnnotation(id: string, nowMs: number): Ok;
  // Undo of a delete: the author's deleted annotation back as it was.
  restoreAnnotation(id: string, nowMs: number): Ok;
  questions(meetingId: string): Fallible<Question[]>;
  draftQuestion(q: QuestionDraft, nowMs: number): Id;
  editQuestion(id: string, q: QuestionDraft, nowMs: number): Ok;
  submitQuestion(id: string, nowMs: number): Ok;
  setQuestionStatus(id: string, status: string, nowMs: number): Ok;
  rules(): PanelRules;
  publicDeadline(meetingId: string): Fallible<{ deadline: string }>;
  recordSubmission(s: SubmissionDraft, nowMs: number): Fallible<Submission>;
  submissions(meetingId: string): Fallible<Submission[]>;
  priorities(): Fallible<Priority[]>;
  addPriority(number: number, title: string, nowMs: number): Id;
  setPriorityLeads(id: string, leads: string[], nowMs: number): Ok;
  kloes(priorityId: string): Fallible<Kloe[]>;
  draftKloe(k: Partial<Kloe>, nowMs: number): Id;
  editKloe(k: Partial<Kloe> & { id: string }, nowMs: number): Ok;
  forwardPlan(): Fallible<ForwardItem[]>;
  editForwardItem(f: Partial<ForwardItem> & { id: string }, nowMs: number): Ok;
  conflicts(table: string, rowId: string): Fallible<Conflict[]>;
  consolidate(c: ConsolidatedDraft, nowMs: number): Id;
  editConsolidated(id: string, c: ConsolidatedDraft, nowMs: number): Ok;
  splitConsolidated(id: string, bodies: string[], nowMs: number): Fallible<{ ids: string[] }>;
  moveConsolidated(id: string, afterId: string, beforeId: string, nowMs: number): Ok;
  removeConsolidated(id: string, nowMs: number): Ok;
  // Undo of a merge: back to a group (toGroup) or off the list; its drafts submitted again.
  unmerge(id: string, toGroup: boolean, nowMs: number): Ok;
  consolidatedList(meetingId: string): Fallible<Consolidated[]>;
  groupDrafts(meetingId: string, questionIds: string[], nowMs: number): Id;
  groups(meetingId: string): Fallible<Consolidated[]>;
  mergeGroup(groupId: string, c: Partial<ConsolidatedDraft> & { body: string }, nowMs: number): Ok;
  exportList(meetingId: string, format: 'markdown' | 'html'): Fallible<{ text: string }>;
  recordResponse(consolidatedId: string, text: string, recordingTime: string, written: boolean, nowMs: number): Id;
  responses(meetingId: string): Fallible<Response[]>;
  addAction(a: Partial<Action>, nowMs: number): Id;
  setActionStatus(id: string, status: string, nowMs: number): Ok;
  actions(meetingId: string): Fallible<Action[]>;
  pendingCount(): number;
  syncState(): SyncState;
  // Bytes of the panel's snapshot downloaded so far by a new device, or null.
  snapshotProgress(): { received: number; total: number } | null;
  refusedChanges(): Fallible<RefusedChange[]>;
  onOpen(): Uint8Array[];
  onFrame(frame: Uint8Array, nowMs: number): FrameResult;
  onClose(): void;
  flush(): Uint8Array[];
  delete(): void;
}

export interface Core {
  createClient(): Fallible<{ client: Client }>;
  openClient(bytes: Uint8Array): Fallible<{ client: Client }>;
  isSealed(bytes: Uint8Array): boolean;
  openSealedClient(bytes: Uint8Array, passphrase: string, nowMs: number): Fallible<{ client: Client }>;
}

// errc codes in client-core/include/packline/result.hpp.
export const NOT_FOUND = 10;
export const INVALID_ARGUMENT = 11;
export const CORRUPT_REPLICA = 13;
export const WRONG_PASSPHRASE = 15;
export const NOT_MEMBER = 16;
export const REVOKED = 17;
export const FORBIDDEN = 20;

export function isError(v: unknown): v is { error: CoreError } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v
    && (v as { error: unknown }).error != null;
}

// Whether this device belongs to a secured panel. The founder's own keyring
// records are applied only once they come back from the server in a pull, so
// until then `secured()` is false there while `isAdmin()` is already true.
export function securedPanel(c: Client): boolean {
  return c.secured() || c.isAdmin();
}

// A list query: the rows, or none and the error reported.
export function rows<T>(r: Fallible<T[]>, report: (e: CoreError) => void): T[] {
  if (isError(r)) {
    report(r.error);
    return [];
  }
  return r;
}

// Loads core/packline_core.mjs next to the page. Not bundled by Vite (it is a
// prebuilt Emscripten module in public/core/); the .wasm is located beside it.
export async function loadCore(): Promise<Core> {
  const url = new URL('core/packline_core.mjs', document.baseURI).href;
  const mod = await import(/* @vite-ignore */ url);
  const factory = (mod.default ?? mod.createPacklineCore) as (opts: object) => Promise<Core>;
  return factory({ locateFile: (path: string) => new URL(path, url).href });
}
