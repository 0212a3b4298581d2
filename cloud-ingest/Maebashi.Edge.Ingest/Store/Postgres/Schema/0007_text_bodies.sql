-- Version 7: the bodies of taps, trips and checkpoints are text, not jsonb. The store writes them (StoreJson) and reads
-- them back whole, and never queries inside them: as jsonb the server parsed every body on insert and printed it
-- again on every read.
ALTER TABLE taps ALTER COLUMN body TYPE text;
ALTER TABLE trips ALTER COLUMN body TYPE text;
ALTER TABLE checkpoints ALTER COLUMN body TYPE text;
