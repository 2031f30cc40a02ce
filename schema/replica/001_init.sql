-- Replica schema v1 (PRAGMA user_version = 1). System tables: meta, change_log,
-- lww. Every other table is materialised from LWW registers: its columns are
-- the fields that ops may set; `id` is the row id; unknown fields stay in lww.
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;

-- Every change this replica knows, own and remote. server_seq is NULL while
-- one of our own changes waits for the server's acknowledgement.
CREATE TABLE change_log (
  actor BLOB NOT NULL,
  seq INTEGER NOT NULL,
  hlc_wall INTEGER NOT NULL,
  hlc_counter INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  server_seq INTEGER,
  PRIMARY KEY (actor, seq)
) WITHOUT ROWID;
CREATE INDEX change_log_pending ON change_log (seq) WHERE server_seq IS NULL;

-- The winning write of every (table, row, field), ordered by (hlc, actor).
CREATE TABLE lww (
  tbl TEXT NOT NULL,
  row BLOB NOT NULL,
  field TEXT NOT NULL,
  value,
  hlc_wall INTEGER NOT NULL,
  hlc_counter INTEGER NOT NULL,
  actor BLOB NOT NULL,
  PRIMARY KEY (tbl, row, field)
) WITHOUT ROWID;

CREATE TABLE member (
  id BLOB PRIMARY KEY, name TEXT, role TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE meeting (
  id BLOB PRIMARY KEY, title TEXT, date TEXT, time TEXT, venue TEXT, kind TEXT, status TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE pack_item (
  id BLOB PRIMARY KEY, meeting BLOB, position INTEGER, number TEXT, title TEXT, pages TEXT,
  description TEXT, exempt INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pack_item_meeting ON pack_item (meeting, position);

CREATE TABLE question (
  id BLOB PRIMARY KEY, meeting BLOB, item BLOB, priority BLOB, author BLOB,
  target TEXT, section TEXT, body TEXT, status TEXT,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX question_meeting ON question (meeting, created_at);
