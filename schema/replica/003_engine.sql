-- Replica schema v3 (PRAGMA user_version = 3): the replica engine (issue 3).

-- Multi-value registers replace the single-value lww table. A field keeps
-- every write no later write has superseded (a write's `pred` names those it
-- supersedes). The winner, greatest (hlc, actor), lives in its materialised
-- row: the value in the field's column, its (hlc, actor) in the row's `_reg`
-- column (added to every materialised table when the replica opens). This
-- table holds the other writes (conflicts the app can list and resolve) and
-- writes of fields the schema does not know yet. Writers are named by the
-- first 8 bytes of their device key.
CREATE TABLE reg (
  tbl TEXT NOT NULL,
  row BLOB NOT NULL,
  field TEXT NOT NULL,
  hlc_wall INTEGER NOT NULL,
  hlc_counter INTEGER NOT NULL,
  actor BLOB NOT NULL,
  value,
  PRIMARY KEY (tbl, row, field, hlc_wall, hlc_counter, actor)
) WITHOUT ROWID;
-- The v2 registers are converted by the replica when it opens (they must be
-- written into the rows' `_reg`, which SQL alone cannot encode).
ALTER TABLE lww RENAME TO lww_v2;

-- Long-text fields (text CRDT), as text_doc::encode bytes; the materialised
-- column holds the plain text.
CREATE TABLE text_state (
  tbl TEXT NOT NULL,
  row BLOB NOT NULL,
  field TEXT NOT NULL,
  doc BLOB NOT NULL,
  PRIMARY KEY (tbl, row, field)
) WITHOUT ROWID;

-- Changes that arrived before their causal predecessors; applied as soon as
-- those are here.
-- need_* is the first predecessor found missing: arriving changes wake only
-- the changes waiting for them.
CREATE TABLE waiting (
  actor BLOB NOT NULL,
  seq INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  server_seq INTEGER NOT NULL,
  need_actor BLOB NOT NULL,
  need_seq INTEGER NOT NULL,
  PRIMARY KEY (actor, seq)
) WITHOUT ROWID;
CREATE INDEX waiting_need ON waiting (need_actor, need_seq);

-- Per device, the last change covered by the snapshot this replica started
-- from (those changes are not in change_log).
CREATE TABLE covered (actor BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;

-- Changes no known change depends on yet: the deps of the next local change.
CREATE TABLE heads (actor BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (actor, seq)) WITHOUT ROWID;
-- A v2 log has no dependency graph: each device's latest change is a safe set
-- of heads (every earlier change of that device precedes it).
INSERT INTO heads (actor, seq) SELECT actor, MAX(seq) FROM change_log GROUP BY actor;
