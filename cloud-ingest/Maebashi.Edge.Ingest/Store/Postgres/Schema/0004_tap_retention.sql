-- Version 4: the taps' retention (TapRetentionUpkeep, PostgresRetention) finds the oldest taps on an index of their
-- time instead of scanning the table: each purge unit reads only the taps it deletes.
CREATE INDEX taps_at ON taps (at);
