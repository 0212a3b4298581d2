-- Version 5: a person's trips and postings are read and replaced by service day (issue 13), never the whole history.
-- An evaluation from a day's checkpoint deletes the rows of the days it replayed and inserts their new rows, numbered
-- within the replay; a page of trips is a backward range of (pid, service_day). The rows written before keep their
-- numbers, which were unique per person, so they stay unique under the new keys.
ALTER TABLE trips DROP CONSTRAINT trips_pkey;
ALTER TABLE trips ADD PRIMARY KEY (pid, service_day, n);
ALTER TABLE postings DROP CONSTRAINT postings_pkey;
ALTER TABLE postings ADD PRIMARY KEY (pid, at, n);
