-- Replica schema v10 (PRAGMA user_version = 10). The clerk's corrections to
-- an imported agenda. `placed`: the clerk chose the item's pages in the
-- reader; the blocks on those pages are the item's (workflow::blocks).
ALTER TABLE pack_item ADD COLUMN placed INTEGER;

-- One row per item and corrected field (added, title, number, position,
-- pages, exempt), its id derived from both, so a later correction of the
-- same field replaces it. Kept across versions: a revised pack of the same
-- meeting offers them again. `anchor`: for pages, the hash of the first
-- page's text, to find that page in a revised version.
CREATE TABLE agenda_correction (
  id BLOB PRIMARY KEY, meeting BLOB, item BLOB, field TEXT, value TEXT, anchor TEXT, pack BLOB,
  created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agenda_correction_meeting ON agenda_correction (meeting);
