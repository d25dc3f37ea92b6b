-- shenhe store, schema 6: 月报文本. The file each exported bundle carried as the period's
-- written report, as the auditor gave it (NULL: the bundle went without one, forced with a
-- reason). The latest one is offered again at the period's next export.
ALTER TABLE bundles ADD COLUMN report_text TEXT;
