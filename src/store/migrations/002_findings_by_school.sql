-- shenhe store, schema 2: the review screen reads one school's findings (the detail pane, and
-- after every decision); without this index each read scans every finding of every period.
CREATE INDEX findings_by_school ON findings (period, school_code);
