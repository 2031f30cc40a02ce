-- Replica schema v12 (PRAGMA user_version = 12). A note's body (annotation
-- body) is long text, a text CRDT like every other long-text field; a private
-- note's characters are sealed under its author's key for that note
-- (replica::keyed_text). Earlier builds kept the body as a register, sealed
-- whole (replica::seal_private) when private. When the replica opens, a plain
-- body becomes text and a sealed one moves to sealed_body, which only the
-- author's devices open; the author's next edit turns it into sealed text.
-- The replica does it (it needs the text CRDT's encoding) and drops this marker.
CREATE TABLE notes_v11 (done INTEGER);
ALTER TABLE annotation ADD COLUMN sealed_body BLOB;
