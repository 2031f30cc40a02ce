-- Replica schema v5 (PRAGMA user_version = 5), issue 6: what each member has read
-- ("changed since you read it"). One row per member and meeting,
-- its id derived from both so the member's devices write the same row;
-- `pack` is the pack version the member marked as read (in a secured panel
-- sealed under the member key, so other members' replicas cannot tell which).
-- Only the member writes it (rules.cpp).
CREATE TABLE reading (
  id BLOB PRIMARY KEY, member BLOB, meeting BLOB, pack BLOB, read_at INTEGER,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reading_member ON reading (member);

-- An answer recorded from a pack names the member's own draft it answers
-- when the document's words tell which (besides, or instead of, the
-- consolidated question).
ALTER TABLE response ADD COLUMN question BLOB;
