-- Replica schema v4 (PRAGMA user_version = 4): a field's concurrent writes
-- (conflicts) live in its row's `_reg` next to the winner, so a change reads
-- and writes each row once, conflicts included. `reg` now only holds writes of
-- fields the schema does not know yet. The v3 conflicts are moved into the
-- rows by the replica when it opens (SQL alone cannot encode `_reg`).
ALTER TABLE reg RENAME TO reg_v3;
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
