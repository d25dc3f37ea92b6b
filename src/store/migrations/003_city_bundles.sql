-- shenhe store, schema 3: a city's copy keeps every county bundle it accepted, whole (the
-- signed zip itself), so the record can be checked again later and the data loaded from it.
-- For each county and period one bundle is current: the highest sequence received.
CREATE TABLE city_bundles (
    id            INTEGER PRIMARY KEY,
    county_code   TEXT NOT NULL,
    period        TEXT NOT NULL,
    sequence      INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    created_at    TEXT NOT NULL,                 -- the manifest's time (RFC 3339)
    received_at   TEXT NOT NULL,
    inside_window INTEGER NOT NULL CHECK (inside_window IN (0, 1)),
    signer        TEXT NOT NULL,                 -- the signing key's fingerprint
    manifest      TEXT NOT NULL,                 -- manifest.json as signed
    bundle        BLOB NOT NULL,
    current       INTEGER NOT NULL CHECK (current IN (0, 1)),
    UNIQUE (county_code, period, sequence)
) STRICT;
CREATE UNIQUE INDEX city_bundles_current ON city_bundles (county_code, period) WHERE current = 1;
