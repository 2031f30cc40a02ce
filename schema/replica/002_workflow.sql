-- Replica schema v2 (PRAGMA user_version = 2): the panel's workflow (issue 6).
-- Same conventions as 001: every column is an LWW field, `id` is the row id,
-- `deleted` the tombstone. Lists of ids are comma-separated lower-case hex.
-- Owned by the workflow (client-core/src/workflow.cpp); role rules per table
-- are in client-core/src/rules.cpp.

-- Meeting details recovered from a pack's front sheet. `pack` is the
-- current (latest) pack version; `public_deadline` is local time
-- "YYYY-MM-DD HH:MM" as the pack states it.
ALTER TABLE meeting ADD COLUMN body TEXT;
ALTER TABLE meeting ADD COLUMN membership TEXT;
ALTER TABLE meeting ADD COLUMN chair TEXT;
ALTER TABLE meeting ADD COLUMN vice_chair TEXT;
ALTER TABLE meeting ADD COLUMN quorum INTEGER;
ALTER TABLE meeting ADD COLUMN pack BLOB;
ALTER TABLE meeting ADD COLUMN public_deadline TEXT;

-- Agenda items keep their id across pack versions (id derived from meeting
-- and number) so questions and annotations stay attached; `pack` is the
-- version that last listed the item, `removed` is set when a later version
-- drops it (never deleted: drafts may point at it).
ALTER TABLE pack_item ADD COLUMN pack BLOB;
ALTER TABLE pack_item ADD COLUMN first_page INTEGER;
ALTER TABLE pack_item ADD COLUMN last_page INTEGER;
ALTER TABLE pack_item ADD COLUMN document TEXT;
ALTER TABLE pack_item ADD COLUMN removed INTEGER;

-- Drafts: plan priority, sub-divided parts (count towards the per-meeting
-- limit), submission time.
ALTER TABLE question ADD COLUMN subparts INTEGER;
ALTER TABLE question ADD COLUMN submitted_at INTEGER;

-- One published version of a meeting's pack.
CREATE TABLE pack (
  id BLOB PRIMARY KEY, meeting BLOB, version INTEGER, title TEXT, source TEXT, fingerprint TEXT,
  kind TEXT, pages INTEGER, pages_exact INTEGER, blocks INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pack_meeting ON pack (meeting, version);

-- Paragraphs, headings, list items and table rows of one pack version, in
-- reading order. `hash` identifies the normalised text (change lists).
CREATE TABLE block (
  id BLOB PRIMARY KEY, pack BLOB, item BLOB, position INTEGER, page INTEGER, kind TEXT, text TEXT, hash TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX block_pack ON block (pack, position);

-- Highlight or note on a text range. The anchor (item, block, quote with
-- prefix/suffix, offsets, the pack version and block hash it was made on) is
-- resolved against the current version when read.
CREATE TABLE annotation (
  id BLOB PRIMARY KEY, meeting BLOB, item BLOB, pack BLOB, block BLOB, block_hash TEXT,
  quote TEXT, prefix TEXT, suffix TEXT, start_offset INTEGER, end_offset INTEGER,
  kind TEXT, body TEXT, visibility TEXT, priority BLOB, author BLOB,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX annotation_item ON annotation (item);

-- The plan's pillars/priorities and their lead members.
CREATE TABLE priority (
  id BLOB PRIMARY KEY, number INTEGER, title TEXT, leads TEXT, plan TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- Key lines of enquiry drafted by a priority's lead.
CREATE TABLE kloe (
  id BLOB PRIMARY KEY, priority BLOB, topic TEXT, owner BLOB, bullets TEXT, target_meeting TEXT,
  approach TEXT, status TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- Forward plan (workplan) rows, grouped by the meeting they are planned for.
CREATE TABLE forward_plan (
  id BLOB PRIMARY KEY, position INTEGER, meeting_label TEXT, meeting_date TEXT, title TEXT, notes TEXT,
  raised_by TEXT, lead TEXT, kloes TEXT, approach TEXT, source BLOB,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- The chair's final list: fractional position key, provenance (source
-- question ids), question lead and section.
CREATE TABLE consolidated_question (
  id BLOB PRIMARY KEY, meeting BLOB, position TEXT, section TEXT, body TEXT, lead BLOB, lead_label TEXT,
  priority BLOB, target TEXT, sources TEXT, status TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX consolidated_meeting ON consolidated_question (meeting, position);

-- Answers recorded by the clerk (verbal with recording time, or in writing).
CREATE TABLE response (
  id BLOB PRIMARY KEY, meeting BLOB, consolidated BLOB, text TEXT, recording_time TEXT, written INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- Follow-ups promised at a meeting; open ones carry into later meetings.
CREATE TABLE "action" (
  id BLOB PRIMARY KEY, meeting BLOB, consolidated BLOB, text TEXT, owner TEXT, due TEXT, status TEXT,
  closed_at INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- Questions and statements from the public, recorded by the clerk.
CREATE TABLE public_submission (
  id BLOB PRIMARY KEY, meeting BLOB, name TEXT, kind TEXT, body TEXT, words INTEGER, received_at INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

-- The panel's rules as replicated settings (row id derived from the key).
CREATE TABLE panel_setting (
  id BLOB PRIMARY KEY, key TEXT, value TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
