-- Packline server store, migration 4: the offline lease. One row per device
-- of a secured space: its lease secret sealed to the device's own key, which
-- the server hands back only after that device's signed auth (and never to
-- a revoked one). It opens nothing without the device's passphrase.
-- PRAGMA user_version = 4.
CREATE TABLE leases (
  space  BLOB NOT NULL,
  device BLOB NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY (space, device)
) WITHOUT ROWID;
