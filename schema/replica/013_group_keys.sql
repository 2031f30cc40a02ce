-- Replica schema v13 (PRAGMA user_version = 13). A note shared with one
-- priority's leads is sealed to them. Whoever sets a priority's leads (the
-- chair or the clerk) makes a new group key in the same change: a random key
-- sealed with crypto_box_seal to every current device of each lead (wraps:
-- per device its 32-byte key, then the 80-byte seal) and kept nowhere else.
-- priority.group_key names the current one; new notes and edits use it.
CREATE TABLE group_key (
  id BLOB PRIMARY KEY, priority BLOB, wraps BLOB,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX group_key_priority ON group_key (priority);
ALTER TABLE priority ADD COLUMN group_key BLOB;
