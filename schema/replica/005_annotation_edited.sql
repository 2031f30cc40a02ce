-- Replica schema v5 (PRAGMA user_version = 5): when an annotation was last
-- edited by its author (0/NULL: never), so readers can show "edited".
ALTER TABLE annotation ADD COLUMN edited_at INTEGER;
