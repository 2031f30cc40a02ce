-- Packline server store, migration 1: the sealed changes of every space.
-- The server never reads payloads: it keeps each envelope exactly as pushed,
-- numbered by one increasing server sequence per space. Applied by
-- sync-server/sqlite_store.cpp (embedded at build time), PRAGMA user_version = 1.

-- Small server settings, e.g. the default space ('default_space' -> 16 bytes).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

-- One row per stored change. A rowid table (not WITHOUT ROWID) because
-- envelopes are up to 256 KiB, far above what WITHOUT ROWID tables handle well.
CREATE TABLE changes (
  space       BLOB    NOT NULL CHECK (length(space) = 16),
  server_seq  INTEGER NOT NULL CHECK (server_seq >= 1),
  actor       BLOB    NOT NULL CHECK (length(actor) = 32),
  seq         INTEGER NOT NULL CHECK (seq >= 1),
  envelope    BLOB    NOT NULL,
  received_ms INTEGER NOT NULL,
  UNIQUE (space, server_seq)
);

-- Replays: a pushed (space, actor, seq) that exists is acked with its stored
-- server_seq. Also the uniqueness guarantee behind "replay changes nothing".
CREATE UNIQUE INDEX changes_by_actor ON changes (space, actor, seq);
