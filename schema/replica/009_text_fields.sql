-- Replica schema v9 (PRAGMA user_version = 9). 1. Every long-text field
-- (question and consolidated question bodies, KLOE lines of enquiry,
-- forward-plan notes) is a text CRDT only. Earlier builds wrote some of them
-- as plain registers (a KLOE's lines when drafted, forward-plan notes on
-- import), so one field could hold both and tablets showed it differently.
-- The replica turns such registers into text when it opens (it needs the
-- text CRDT's encoding, which SQL cannot write) and drops this marker.
CREATE TABLE texts_v7 (done INTEGER);

-- A member's draft is their own until they submit it: drafts made from now
-- on carry private_draft = 1 and are listed only to their author while
-- status is 'draft'. Drafts made before keep their visibility (NULL).
ALTER TABLE question ADD COLUMN private_draft INTEGER;
