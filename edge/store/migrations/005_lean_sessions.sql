-- Flash wear: every index is one more page rewritten on each session start.
-- Sessions are listed by start time rarely (CLI, backoffice pulls); a scan
-- and sort is fast enough for that, so the index on start goes.
DROP INDEX IF EXISTS sessions_start;
