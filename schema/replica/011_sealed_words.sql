-- Replica schema v11 (PRAGMA user_version = 11). A member's draft in a
-- secured panel is sealed to its author until submitted: its body is sealed
-- text (replica::words_key), marked by sealed_words = 1, and its long-text
-- column stays empty. On submit the author discloses the draft's key in
-- words_key, so every member reads it from then on. Drafts made before keep
-- their visibility (NULL).
ALTER TABLE question ADD COLUMN sealed_words INTEGER;
ALTER TABLE question ADD COLUMN words_key BLOB;
