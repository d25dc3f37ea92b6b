-- shenhe store, schema 1. Never edit a migration that has shipped: add the next number.

CREATE TABLE periods (
    id          TEXT PRIMARY KEY,                 -- '2026Q3' or '2026-09'
    kind        TEXT NOT NULL CHECK (kind IN ('quarter', 'month')),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reported')),
    created_at  TEXT NOT NULL
) STRICT;

-- One import run: the files that came in together and what they did.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    period        TEXT NOT NULL REFERENCES periods(id),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    files         TEXT NOT NULL,                  -- JSON array of {path, sha256, rows}
    rows          INTEGER NOT NULL,
    new_schools   INTEGER NOT NULL,
    new_revisions INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL
) STRICT;

-- One school in one period, with its review state.
CREATE TABLE submissions (
    id               INTEGER PRIMARY KEY,
    period           TEXT NOT NULL REFERENCES periods(id),
    school_code      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('unfilled', 'submitted', 'flagged', 'returned', 'approved')),
    current_revision INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (period, school_code)
) STRICT;

-- Every version of a school's sheet; the highest revision is the current one. Never updated.
CREATE TABLE revisions (
    submission_id    INTEGER NOT NULL REFERENCES submissions(id),
    revision         INTEGER NOT NULL,
    import_id        INTEGER NOT NULL REFERENCES imports(id),
    content_hash     BLOB NOT NULL,               -- sha256 of the canonical data
    source_file      TEXT NOT NULL,
    source_row       INTEGER NOT NULL,            -- as Excel shows it
    name             TEXT NOT NULL,
    city             TEXT,
    county           TEXT,
    county_code      TEXT,
    school_type      TEXT,
    urban_rural      TEXT,
    school_status    TEXT,
    filled           INTEGER NOT NULL CHECK (filled IN (0, 1)),
    submitted_at     TEXT,
    classes          INTEGER CHECK (classes >= 0),
    teachers         INTEGER CHECK (teachers >= 0),
    students         INTEGER CHECK (students >= 0),
    connected        INTEGER CHECK (connected IN (0, 1)),
    access_type      TEXT,
    bandwidth_mbps   REAL CHECK (bandwidth_mbps >= 0),
    wifi             TEXT,
    classrooms       INTEGER CHECK (classrooms >= 0),
    multimedia_rooms INTEGER CHECK (multimedia_rooms >= 0),
    teacher_devices  INTEGER CHECK (teacher_devices >= 0),
    student_devices  INTEGER CHECK (student_devices >= 0),
    contact_name     TEXT,
    contact_phone    TEXT,
    extras           TEXT NOT NULL DEFAULT '{}',  -- JSON object: unknown columns, file order
    PRIMARY KEY (submission_id, revision)
) STRICT, WITHOUT ROWID;

-- The registry of schools seen in any period, with the name, type and county of the latest
-- period. A view rather than a table, so it can never disagree with the revisions.
CREATE VIEW schools AS
SELECT code, name, school_type, county_code, county, first_seen, last_seen
FROM (
    SELECT s.school_code AS code, r.name, r.school_type, r.county_code, r.county,
           min(s.period) OVER every_period AS first_seen,
           max(s.period) OVER every_period AS last_seen,
           row_number() OVER (PARTITION BY s.school_code ORDER BY s.period DESC) AS newest_first
    FROM submissions s
    JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
    WINDOW every_period AS (PARTITION BY s.school_code)
)
WHERE newest_first = 1;

-- What the checks (and the auditor) found about a school in a period. Keyed by school code, not
-- by submission: a school missing from this period has findings too. At most one live (open or
-- overridden) finding per school and rule; a resolved one stays as history.
CREATE TABLE findings (
    id            INTEGER PRIMARY KEY,
    period        TEXT NOT NULL REFERENCES periods(id),
    school_code   TEXT NOT NULL,
    rule          TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    detail        TEXT NOT NULL DEFAULT '{}',     -- JSON: the values the message shows
    resolution    TEXT NOT NULL DEFAULT 'open' CHECK (resolution IN ('open', 'resolved', 'overridden')),
    note          TEXT,                           -- the auditor's override note
    created_at    TEXT NOT NULL,
    resolved_at   TEXT
) STRICT;
CREATE UNIQUE INDEX findings_live ON findings (period, school_code, rule) WHERE resolution <> 'resolved';

-- Append-only: who did what to which school, when. Triggers refuse any change.
CREATE TABLE review_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    period      TEXT NOT NULL REFERENCES periods(id),
    school_code TEXT,
    action      TEXT NOT NULL,
    old_state   TEXT,
    new_state   TEXT,
    note        TEXT
) STRICT;
CREATE INDEX review_log_by_school ON review_log (period, school_code);
CREATE TRIGGER review_log_no_update BEFORE UPDATE ON review_log
BEGIN SELECT RAISE(ABORT, 'review_log is append-only'); END;
CREATE TRIGGER review_log_no_delete BEFORE DELETE ON review_log
BEGIN SELECT RAISE(ABORT, 'review_log is append-only'); END;

CREATE TABLE bundles (
    id            INTEGER PRIMARY KEY,
    period        TEXT NOT NULL REFERENCES periods(id),
    sequence      INTEGER NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    inside_window INTEGER NOT NULL CHECK (inside_window IN (0, 1)),
    forced_reason TEXT,
    UNIQUE (period, sequence)
) STRICT;
