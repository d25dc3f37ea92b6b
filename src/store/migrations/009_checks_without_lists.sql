-- shenhe store, schema 9: the same two CHECK constraints, spelt as comparisons.
-- SQLite evaluates a CHECK of `x IN (a, b, c…)` with three or more values by building a
-- temporary B-tree of the values for every row written: for `submissions.state` that was half
-- the cost of inserting a row, and `findings.resolution` is checked on every finding written.
-- A chain of `=` tests allows exactly the same values without it.
--
-- Only the text of the constraints changes, not a byte of any row: SQLite's documented way
-- for that is to edit the schema table itself (https://sqlite.org/lang_altertable.html,
-- "making other kinds of table schema changes"); the migration's hook then bumps the schema
-- version so that every connection reads the new text.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql,
    'CHECK (state IN (''unfilled'', ''submitted'', ''flagged'', ''returned'', ''approved''))',
    'CHECK (state = ''unfilled'' OR state = ''submitted'' OR state = ''flagged'' OR state = ''returned'' OR state = ''approved'')')
WHERE type = 'table' AND name = 'submissions';
UPDATE sqlite_master
SET sql = replace(sql,
    'CHECK (resolution IN (''open'', ''resolved'', ''overridden''))',
    'CHECK (resolution = ''open'' OR resolution = ''resolved'' OR resolution = ''overridden'')')
WHERE type = 'table' AND name = 'findings';
PRAGMA writable_schema = OFF;
