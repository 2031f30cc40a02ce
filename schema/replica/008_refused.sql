-- Replica schema v8 (PRAGMA user_version = 8): remote changes this replica
-- refused, with the reason in plain words. The pull cursor moves past them,
-- so they are kept here: those not known to the change log are tried again
-- at every sync session (replica::retry_refused) until they apply; those the
-- panel's rules refused (known in the log, the same on every replica) stay
-- listed for the clerk. Local to this device: never synced or snapshotted.
-- An envelope that does not even decode has no actor (NULL) and is named by
-- its server sequence (seq).
CREATE TABLE refused (
  actor BLOB,
  seq INTEGER NOT NULL,
  server_seq INTEGER NOT NULL,
  reason TEXT NOT NULL,
  envelope BLOB NOT NULL,
  UNIQUE (actor, seq)
);
