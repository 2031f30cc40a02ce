-- Replica schema v8 (PRAGMA user_version = 8): every long-text field
-- (question and consolidated question bodies, KLOE lines of enquiry,
-- forward-plan notes) is a text CRDT only. Earlier builds wrote some of them
-- as plain registers (a KLOE's lines when drafted, forward-plan notes on
-- import), so one field could hold both and tablets showed it differently.
-- The replica turns such registers into text when it opens (it needs the
-- text CRDT's encoding, which SQL cannot write) and drops this marker.
CREATE TABLE texts_v7 (done INTEGER);
