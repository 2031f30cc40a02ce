// The core's records and error codes as the webapp sees them. Written by
// records_gen from client-core/include/packline/panel/records.hpp and the
// error list in base/result.hpp: do not edit; change those, then run
// `build/client-core/records_gen --write .` (the test "records" checks it).

// A member of the panel (client.members).
export interface Member {
  id: string;
  name: string;
  role: string;
}

// An invite just made (client.inviteMember): the member's id and the code to hand over.
export interface NewInvite {
  member: string;
  code: string;
}

// One of a member's tablets, as the clerk's tablets desk lists it.
export interface Tablet {
  device: string; // hex of the device key
  status: 'active' | 'revoked' | 'removed'; // removed: its member was removed
  joinedAt: number; // 0: the founder's own, enrolled when the panel was set up
  lastChangeAt: number; // newest change from it this tablet holds, by its clock; 0: none
  thisTablet: boolean;
  pending: boolean; // revoked or removed here, not yet on the server
}

// A member with their tablets (the clerk's tablets desk).
export interface PanelMember {
  id: string;
  name: string;
  role: string;
  removed: boolean;
  pending: boolean; // removed here, not yet on the server
  tablets: Tablet[]; // in the order they joined
}

// An invite and what became of it (the clerk's tablets desk).
export interface Invite {
  id: string;
  member: string;
  name: string;
  role: string;
  expiresAt: number;
  status: 'open' | 'used' | 'expired' | 'cancelled'; // cancelled: its member was removed first
  device: string; // the tablet that joined with it ('' unless used)
  usedAt: number;
  pending: boolean; // made here, not yet on the server: it works once it is
}

// The clerk's tablets desk (client.tablets, admin device only).
export interface TabletsOverview {
  members: PanelMember[]; // by name
  invites: Invite[]; // newest expiry first
}

// A meeting of the panel.
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
  pack: string; // the current version's id
  quorum: number;
}

// An agenda item, in agenda order.
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
  document: string; // title of the paper that follows
  removed: boolean; // dropped by a later version of the pack
  placed: boolean; // the clerk chose its pages in the reader
}

// One published version of a meeting's pack.
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

// A passage of the current version, in reading order.
export interface Block {
  id: string;
  item: string;
  kind: string; // heading, paragraph, list_item, table_row, page_marker
  text: string;
  hash: string;
  page: number;
  position: number;
}

// A passage added, removed or changed between two versions of a pack.
export interface BlockChange {
  kind: 'added' | 'removed' | 'changed';
  item: string;
  oldBlock: string;
  newBlock: string;
  oldText: string;
  newText: string;
  page: number;
}

// The signed-in member's read mark on a meeting's pack (client.changedSinceRead).
export interface Reading {
  meeting: string;
  readPack: string; // '': never marked (or the mark does not open on this tablet)
  currentPack: string;
  readVersion: number;
  currentVersion: number;
  changed: BlockChange[]; // read version to current; empty when current or never marked
}

// A member the pack names, matched on the panel or to be added.
export interface MemberMatch {
  name: string;
  role: string;
  member: string; // the panel member it matches ('': would be added)
  note: string; // why a stated role is not given
}

// A plan priority the pack names, matched on the panel or to be added.
export interface PriorityMatch {
  number: number;
  title: string;
  priority: string; // the panel's priority it matches ('': would be added)
}

// One of the clerk's corrections of an earlier version, as it would apply to this one.
export interface CorrectionMatch {
  item: string;
  number: string;
  title: string;
  field: string; // added, title, number, position, pages, exempt
  value: string; // what it would be set to ('': nothing to do)
  what: string; // in plain words
  note: string;
}

// What an import would do to the panel, for the clerk to confirm.
export interface ImportPlan {
  members: MemberMatch[];
  priorities: PriorityMatch[];
  corrections: CorrectionMatch[];
}

// What an import did (client.importPack).
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
  membersAdded: number; // added from the front sheet's membership
  plan: ImportPlan;
  answers: number; // answers the documents record, kept as responses
  answersLinked: number; // of them, tied to a question on the list
  answersUnplaced: number; // minutes of a meeting the panel has no record of (not imported)
  answersToDrafts: number; // tied to a member's own draft as well
  corrections: number; // the clerk's earlier corrections applied again
  unchanged: boolean; // the same file was already the current version
  changedBlocks: BlockChange[];
  annotations: Annotation[]; // where every annotation now stands
}

// A highlight or note on a pack (only those this member may read).
export interface Annotation {
  id: string;
  meeting: string;
  item: string;
  author: string;
  kind: 'highlight' | 'note';
  body: string;
  visibility: 'private' | 'priority' | 'panel';
  priority: string;
  quote: string;
  prefix: string;
  suffix: string;
  start: number;
  end: number;
  createdAt: number;
  editedAt: number; // last edit by the author; 0: never edited
  status: 'exact' | 'moved' | 'text_changed' | 'orphaned';
  block: string; // current block ('' when orphaned)
  page: number;
  curStart: number;
  curEnd: number;
  currentText: string; // the text now under the anchor
  locked: boolean; // shared with a priority's leads under a key this tablet does not hold: no words here
}

// A new annotation (client.annotate).
export interface AnnotationDraft {
  block: string; // a block of the current version
  start: number; // UTF-8 byte offset into the block's text
  end: number;
  kind: 'highlight' | 'note';
  body: string;
  visibility: 'private' | 'priority' | 'panel';
  priority: string; // for visibility 'priority'
}

// A member's draft question (another member's only once submitted).
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
  outcome: string; // what became of the draft, once something has
}

// A question as a member drafts or edits it.
export interface QuestionDraft {
  item: string;
  body: string;
  priority?: string;
  target?: string;
  section?: string;
  subparts?: number;
}

// The panel's own rules (client.rules).
export interface PanelRules {
  questionsPerCouncillor: number;
  subpartsCount: boolean;
  publicMaxWords: number;
  publicPerPerson: number;
  publicAcceptFirst: number;
  publicDeadlineRule: string;
}

// A public question or statement as the clerk records it.
export interface SubmissionDraft {
  meeting: string;
  name: string;
  kind: 'question' | 'statement';
  body: string;
  receivedAt: number;
}

// A public submission and the decision on it.
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

// A priority of the plan the panel scrutinises.
export interface Priority {
  id: string;
  number: number;
  title: string;
  plan: string;
  leads: string[]; // member ids
  sharesNotes: boolean; // this tablet may share a note with the priority's leads
}

// A key line of enquiry of a priority.
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

// A row of the forward plan.
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

// A question on the chair's list (or a group of drafts not merged yet).
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
  sources: string[]; // question ids merged into it
  number: number; // 1-based place in the list
}

// A question of the chair's list as the chair writes it (an edit changes only the fields given).
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

// An answer given to a question of the list.
export interface Response {
  id: string;
  meeting: string;
  consolidated: string;
  text: string;
  recordingTime: string;
  written: boolean;
  question: string; // the member's draft it answers, when it answers one
}

// An action agreed at a meeting.
export interface Action {
  id: string;
  meeting: string;
  consolidated: string;
  text: string;
  owner: string;
  due: string;
  status: string;
  carried: boolean; // open from an earlier meeting
}

// A field with concurrent writes (writing it again resolves them).
export interface Conflict {
  row: string;
  field: string;
  winner: string | number | boolean | null;
  others: (string | number | boolean | null)[];
}

// A remote change this tablet refused, kept and tried again at every welcome.
export interface RefusedChange {
  serverSeq: number;
  device: string; // empty when the envelope did not decode
  seq: number;
  reason: string;
  final: boolean; // refused by the panel's rules, as on every tablet
}

// Bytes of the panel's snapshot a new tablet has downloaded (total 0 until the first chunk).
export interface TransferProgress {
  received: number;
  total: number;
}

// Error codes: a fallible call returns {error: {code, message}}.
export const errc = {
  ok: 0,
  malformed: 1,
  too_large: 2,
  bad_state: 3,
  auth_failed: 4,
  bad_signature: 5,
  wrong_space: 6,
  not_actor: 7,
  unsupported_version: 8,
  storage: 9,
  not_found: 10,
  invalid_argument: 11,
  clock_skew: 12,
  corrupt_replica: 13,
  crypto: 14,
  wrong_passphrase: 15,
  not_member: 16,
  revoked: 17,
  lease_expired: 18,
  no_key: 19,
  forbidden: 20,
  damaged: 21,
  superseded: 22,
} as const;
export const OK = 0;
export const MALFORMED = 1;
export const TOO_LARGE = 2;
export const BAD_STATE = 3;
export const AUTH_FAILED = 4;
export const BAD_SIGNATURE = 5;
export const WRONG_SPACE = 6;
export const NOT_ACTOR = 7;
export const UNSUPPORTED_VERSION = 8;
export const STORAGE = 9;
export const NOT_FOUND = 10;
export const INVALID_ARGUMENT = 11;
export const CLOCK_SKEW = 12;
export const CORRUPT_REPLICA = 13;
export const CRYPTO = 14;
export const WRONG_PASSPHRASE = 15;
export const NOT_MEMBER = 16;
export const REVOKED = 17;
export const LEASE_EXPIRED = 18;
export const NO_KEY = 19;
export const FORBIDDEN = 20;
export const DAMAGED = 21;
export const SUPERSEDED = 22;
