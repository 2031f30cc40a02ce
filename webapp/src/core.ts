// Types of the WASM core's JavaScript API (client-core/wasm/API.md) and its
// loader. The core owns the replica and all data logic; the page only moves
// bytes and renders plain values. Errors come back as values, never thrown.

import type {
  Annotation, AnnotationDraft, Block, BlockChange, Conflict, Consolidated, ConsolidatedDraft, ForwardItem, ImportPlan,
  ImportReport, Item, Kloe, Meeting, Member, NewInvite, PackVersion, PanelRules, Priority, Question, QuestionDraft,
  Reading, RefusedChange, Response, Action, Submission, SubmissionDraft, TabletsOverview, TransferProgress,
} from './records';

// The records (Meeting, Question, ...) and error codes, written from the core's own description.
export * from './records';

// Who reads a note: its author only, the leads of a priority, or the whole panel.
export type Visibility = Annotation['visibility'];

export interface CoreError {
  code: number;
  message: string;
}
export type Fallible<T> = T | { error: CoreError };

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

type Ok = Fallible<Record<string, never>>;
type Id = Fallible<{ id: string }>;

export interface Client {
  save(): Fallible<{ bytes: Uint8Array }>;
  // The replica never sealed, in memory only: the publish worker's copy (import-worker.ts).
  plainImage(): Fallible<{ bytes: Uint8Array }>;
  // A change the worker's copy made, taken in as if made here (only this tablet's next one).
  adoptOwn(envelope: Uint8Array, nowMs: number): Fallible<Record<string, never>>;
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
  inviteMember(name: string, role: string, nowMs: number, ttlMs: number): Fallible<NewInvite>;
  deviceId(): string;
  tablets(nowMs: number): Fallible<TabletsOverview>;
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
  snapshotProgress(): TransferProgress | null;
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
