-- Replica schema v7 (PRAGMA user_version = 7), issue 3.
--
-- 1. A row's `_reg` holds a write's stamp (hlc, writer) once for the fields
--    that write set, behind a leading 0 byte (replica.cpp says the layout).
--    Rows stored before are read in their old layout and written in the new
--    one when they next change; the version moves so that an older build
--    refuses this file instead of misreading its rows.
--
-- 2. change_log and waiting become rowid tables with the envelope last.
--    As WITHOUT ROWID tables their b-tree held whole rows, and a row with a
--    large envelope spills to overflow pages that SQLite reads in full for
--    every key it compares while seeking: looking up one (actor, seq) read
--    several envelopes. Now the (actor, seq) index holds only keys, and the
--    columns before the envelope are read without touching its pages.
CREATE TABLE change_log_v7 (
  actor BLOB NOT NULL,
  seq INTEGER NOT NULL,
  hlc_wall INTEGER NOT NULL,
  hlc_counter INTEGER NOT NULL,
  server_seq INTEGER,
  envelope BLOB NOT NULL,
  PRIMARY KEY (actor, seq)
);
INSERT INTO change_log_v7 (actor, seq, hlc_wall, hlc_counter, server_seq, envelope)
  SELECT actor, seq, hlc_wall, hlc_counter, server_seq, envelope FROM change_log ORDER BY actor, seq;
DROP TABLE change_log;
ALTER TABLE change_log_v7 RENAME TO change_log;
CREATE INDEX change_log_pending ON change_log (seq) WHERE server_seq IS NULL;

CREATE TABLE waiting_v7 (
  actor BLOB NOT NULL,
  seq INTEGER NOT NULL,
  server_seq INTEGER NOT NULL,
  need_actor BLOB NOT NULL,
  need_seq INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  PRIMARY KEY (actor, seq)
);
INSERT INTO waiting_v7 (actor, seq, server_seq, need_actor, need_seq, envelope)
  SELECT actor, seq, server_seq, need_actor, need_seq, envelope FROM waiting;
DROP TABLE waiting;
ALTER TABLE waiting_v7 RENAME TO waiting;
CREATE INDEX waiting_need ON waiting (need_actor, need_seq);
