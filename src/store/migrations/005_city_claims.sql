-- shenhe store, schema 5: at a city, which county's current report carries each school. A
-- county's current report *is* its set of schools at the city: a newer report that no longer
-- carries a school takes it out. A school code carried by two counties is a conflict the city
-- sees (both claims are here); the earlier claim holds the school's data until one county's
-- report drops it.
CREATE TABLE city_claims (
    id          INTEGER PRIMARY KEY,            -- order of arrival: the lowest holds the school
    period      TEXT NOT NULL,
    school_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    sequence    INTEGER NOT NULL,               -- the county's report that carries it now
    UNIQUE (period, school_code, county_code)
) STRICT;
CREATE INDEX city_claims_by_county ON city_claims (period, county_code);

-- A city store from before: every school of a current report is claimed by the county whose
-- data it carries.
INSERT INTO city_claims (period, school_code, county_code, sequence)
SELECT s.period, s.school_code, b.county_code, b.sequence
FROM submissions s
JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
JOIN city_bundles b ON b.period = s.period AND b.county_code = r.county_code AND b.current = 1
ORDER BY s.id;
