-- shenhe store, schema 7: the notices a level sends down and those it takes in from above.
-- A return (退回) sends one report back; a cancellation (取消退回) takes a return back before
-- the unit below reports again. Kept whole and signed, so a cancelled return can no longer
-- reopen anything, and a level sees which of its returns still stand.

-- What this level sent: to a county (at a city) or a city (at a province).
CREATE TABLE notices_sent (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('return', 'cancel')),
    unit_code     TEXT NOT NULL,
    period        TEXT NOT NULL,
    sequence      INTEGER NOT NULL,              -- the report it returns
    bundle_sha256 TEXT NOT NULL,
    sha256        TEXT NOT NULL UNIQUE,          -- of the notice file as sent
    cancels       INTEGER REFERENCES notices_sent (id),  -- a cancellation: the return it takes back
    note          TEXT NOT NULL,                 -- a return's reason, a cancellation's note
    created_at    TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    notice        BLOB NOT NULL,
    CHECK ((kind = 'cancel') = (cancels IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX notices_sent_one_cancel ON notices_sent (cancels) WHERE cancels IS NOT NULL;

-- What this level took in from above: a return it reopened from, a cancellation it recorded.
CREATE TABLE notices_taken (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('return', 'cancel')),
    period         TEXT NOT NULL,
    sequence       INTEGER NOT NULL,             -- the report it names
    sha256         TEXT NOT NULL UNIQUE,         -- of the notice file
    cancels_sha256 TEXT,                         -- a cancellation: the return notice's SHA-256
    sender         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    taken_at       TEXT NOT NULL,
    reopen_log     INTEGER REFERENCES review_log (id),  -- a return: the reopen it made
    CHECK ((kind = 'cancel') = (cancels_sha256 IS NOT NULL))
) STRICT;
