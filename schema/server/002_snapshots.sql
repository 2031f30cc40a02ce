-- Packline server store, migration 2: snapshot blobs (protocol v2). A
-- snapshot is a client's sealed image of a space up to server sequence
-- `cursor`; the server stores it in the chunks it was uploaded in and never
-- reads it. PRAGMA user_version = 2.

-- One row per upload; complete = 1 once every byte is stored. A device has at
-- most one upload in progress per space (the partial unique index).
CREATE TABLE snapshots (
  id         INTEGER PRIMARY KEY,
  space      BLOB    NOT NULL CHECK (length(space) = 16),
  device     BLOB    NOT NULL CHECK (length(device) = 32),
  cursor     INTEGER NOT NULL CHECK (cursor >= 1),
  total      INTEGER NOT NULL CHECK (total >= 1),
  received   INTEGER NOT NULL DEFAULT 0,
  complete   INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX snapshots_upload ON snapshots (space, device) WHERE complete = 0;
CREATE INDEX snapshots_by_cursor ON snapshots (space, complete, cursor);

-- The bytes, as uploaded: chunk `offset` holds bytes [offset, offset + length(data)).
CREATE TABLE snapshot_chunks (
  snapshot INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  offset   INTEGER NOT NULL,
  data     BLOB    NOT NULL,
  PRIMARY KEY (snapshot, offset)
);
