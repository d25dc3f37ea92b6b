-- shenhe store, schema 8: when the store's pages were last checked whole, and what was found.
-- The check no longer runs at every open (it grows with the years of data the store holds):
-- at open only after an unclean shutdown or when the last good check is a week old, and
-- whenever the auditor asks (`shenhe check-store`).
CREATE TABLE store_checks (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('quick', 'full')),
    why     TEXT NOT NULL,
    result  TEXT NOT NULL                        -- 'ok', or what SQLite found
) STRICT;
