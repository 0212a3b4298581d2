-- Version 6: the registry at prefecture scale (issue 14). Its persons and cards live here, imported from the city's
-- export (`ingest registry import`, or by the first worker started with a new --registry file, under a lock); a worker
-- reads them once at start into packed arrays (Registry/PackedRegistryPeople.cs) instead of parsing the file.
-- The export's other parts (keys, tariff, routes, devices, events, clinics, …) are one JSON document. The file's
-- SHA-256 says whether a worker's --registry is the one imported. No UID is stored: cards are their tokens.
CREATE TABLE registry_import (
    id          smallint    PRIMARY KEY CHECK (id = 1),
    sha256      text        NOT NULL,
    document    bytea       NOT NULL,
    persons     integer     NOT NULL,
    cards       integer     NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

-- n: the person's number in the export's order, which a card row names (4 bytes instead of the pid per card).
CREATE TABLE registry_persons (
    n              integer PRIMARY KEY,
    pid            text    NOT NULL UNIQUE,
    birth_date     date    NOT NULL,
    disability     boolean NOT NULL,
    auto_point_pay boolean NOT NULL,
    opening_value  bigint  NOT NULL,
    opening_points bigint  NOT NULL
);

-- token: the card token's 16 bytes (docs/contract.md §2). A worker reads the cards as stored and sorts them itself: a
-- sort of 6,000,000 rows in the database spills to disk (work_mem) and took most of a worker's start.
CREATE TABLE registry_cards (
    token         bytea    PRIMARY KEY,
    person        integer  NOT NULL,
    tech          text     NOT NULL,
    lost          boolean  NOT NULL,
    authenticated boolean  NOT NULL,
    key_version   integer  NOT NULL
);
