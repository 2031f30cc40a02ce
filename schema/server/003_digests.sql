-- Packline server store, migration 3: a digest of every stored envelope
-- (BLAKE2b, 16 bytes), written with it and checked on every read, so a
-- change damaged on disk is an error for that change, never its bytes.
-- Rows stored before this migration get theirs when the server opens the
-- store (SQL cannot compute BLAKE2b). PRAGMA user_version = 3.
ALTER TABLE changes ADD COLUMN digest BLOB;
