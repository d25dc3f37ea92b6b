-- shenhe store, schema 4: the copies made of this store (shenhe backup, the copy kept before a
-- restore, and the backup a restore came from), so the screen can remind the auditor when the
-- last one is too old.
CREATE TABLE backups (
    id    INTEGER PRIMARY KEY,
    at    TEXT NOT NULL,                 -- RFC 3339
    kind  TEXT NOT NULL CHECK (kind IN ('backup', 'restored_from')),
    path  TEXT NOT NULL,
    bytes INTEGER NOT NULL
) STRICT;
