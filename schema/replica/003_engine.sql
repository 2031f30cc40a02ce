-- Replica schema v3 (PRAGMA user_version = 3): the replica engine (issue 3).

-- Multi-value registers replace the single-value lww table: every current
-- write of a field that no later write has superseded. The greatest
-- (hlc, actor) is materialised; the others are conflicts the app can list
-- and resolve (a write whose `pred` names them supersedes them).
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
INSERT INTO reg (tbl, row, field, hlc_wall, hlc_counter, actor, value)
  SELECT tbl, row, field, hlc_wall, hlc_counter, actor, value FROM lww;
DROP TABLE lww;

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
CREATE TABLE waiting (
  actor BLOB NOT NULL,
  seq INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  server_seq INTEGER NOT NULL,
  PRIMARY KEY (actor, seq)
) WITHOUT ROWID;

-- Per device, the last change covered by the snapshot this replica started
-- from (those changes are not in change_log).
CREATE TABLE covered (actor BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;

-- Changes no known change depends on yet: the deps of the next local change.
CREATE TABLE heads (actor BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (actor, seq)) WITHOUT ROWID;
-- A v2 log has no dependency graph: each device's latest change is a safe set
-- of heads (every earlier change of that device precedes it).
INSERT INTO heads (actor, seq) SELECT actor, MAX(seq) FROM change_log GROUP BY actor;
