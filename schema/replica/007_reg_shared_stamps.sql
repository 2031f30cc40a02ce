-- Replica schema v7 (PRAGMA user_version = 7), issue 3: a row's `_reg` holds
-- a write's stamp (hlc, writer) once for the fields that write set, behind a
-- leading 0 byte (replica.cpp says the layout). No table changes: rows stored
-- before are read in their old layout and written in the new one when they
-- next change. The version moves so that an older build refuses this file
-- instead of misreading its rows.
SELECT 1;
