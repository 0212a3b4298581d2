-- Schema version 1 of the PostgreSQL store (docs/ingest.md, "PostgreSQL store"): the day-bounded layout of
-- docs/decisions.md, "Day checkpoints". Applied once, inside the migrator's transaction (PostgresSchema).
-- Instants are bigint UTC ticks (100 ns, as .NET's DateTimeOffset.UtcTicks): exact, where timestamptz keeps
-- microseconds only and a re-evaluation compares postings' instants for equality. A device's seq is an
-- unsigned 64-bit number kept bit for bit in a bigint.

-- The de-duplication record and the fact the rules read, one row per (device, seq).
CREATE TABLE taps (
    device   text   NOT NULL,
    seq      bigint NOT NULL,
    pid      text,              -- null for a trip_end (a vehicle's fact)
    type     text   NOT NULL,
    vehicle  text,
    at       bigint NOT NULL,
    body     jsonb  NOT NULL,   -- StoreJson.Tap: the tap as the LiteDB store's units hold it
    PRIMARY KEY (device, seq)
);
-- An evaluation reads a person's facts from the start of a service day on: a range scan.
CREATE INDEX taps_person ON taps (pid, at) WHERE pid IS NOT NULL;
-- A trip_end closes the trips of the persons who boarded the vehicle within the window before it.
CREATE INDEX taps_vehicle ON taps (vehicle, type, at) WHERE vehicle IS NOT NULL;

-- One row per person, locked (SELECT … FOR UPDATE) by the unit that re-evaluates them. A unit inserts the
-- row before locking it; evaluated stays false until the person's first state is written.
CREATE TABLE persons (
    pid              text    PRIMARY KEY,
    evaluated        boolean NOT NULL DEFAULT false,
    value            bigint  NOT NULL DEFAULT 0,
    points           bigint  NOT NULL DEFAULT 0,
    points_bus       bigint  NOT NULL DEFAULT 0,
    points_volunteer bigint  NOT NULL DEFAULT 0,
    points_health    bigint  NOT NULL DEFAULT 0,
    in_debt          boolean NOT NULL DEFAULT false,
    next_close_at    bigint,
    revision         bigint  NOT NULL DEFAULT 0
);
CREATE INDEX persons_in_debt ON persons (pid) WHERE in_debt;
CREATE INDEX persons_next_close ON persons (next_close_at) WHERE next_close_at IS NOT NULL;

-- A person's trips and postings in the order of the state, n counting from 0: a unit rewrites them from the
-- first one its evaluation changed (the days it replayed), never the whole history.
CREATE TABLE trips (
    pid         text    NOT NULL,
    n           integer NOT NULL,
    service_day text    NOT NULL,   -- Trip.ServiceDay, yyyy-MM-dd
    body        jsonb   NOT NULL,   -- StoreJson.Trip
    PRIMARY KEY (pid, n)
);
CREATE INDEX trips_day ON trips (service_day, pid, n);

CREATE TABLE postings (
    pid         text    NOT NULL,
    n           integer NOT NULL,
    key         text    NOT NULL,
    kind        text    NOT NULL,
    value       bigint  NOT NULL,
    points      bigint  NOT NULL,
    source      text    NOT NULL,
    at          bigint  NOT NULL,
    description text    NOT NULL,
    PRIMARY KEY (pid, n)
);

-- The wallet's entries, append-only; id gives the order they were recorded in.
CREATE TABLE entries (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pid         text    NOT NULL,
    key         text    NOT NULL,
    kind        text    NOT NULL,
    value       bigint  NOT NULL,
    points      bigint  NOT NULL,
    source      text    NOT NULL,
    at          bigint  NOT NULL,
    recorded_at bigint  NOT NULL,
    description text    NOT NULL,
    adjustment  boolean NOT NULL
);
CREATE INDEX entries_person ON entries (pid, recorded_at, id);

-- A person's state at the start of each service day with facts; the checkpoint to resume from is the latest
-- resumable one at or before a day: a backward scan of the primary key.
CREATE TABLE checkpoints (
    pid        text    NOT NULL,
    day        date    NOT NULL,
    can_resume boolean NOT NULL,
    body       jsonb   NOT NULL,   -- StoreJson.Checkpoint
    PRIMARY KEY (pid, day)
);

CREATE TABLE checkins (
    pid        text    NOT NULL,
    clinic     text    NOT NULL,
    day        date    NOT NULL,
    patient_no text    NOT NULL,
    queue      integer NOT NULL,
    child      boolean NOT NULL,
    at         bigint  NOT NULL,
    my_number  boolean NOT NULL,
    PRIMARY KEY (pid, clinic, day)
);
CREATE INDEX checkins_clinic_day ON checkins (clinic, day, queue);

CREATE TABLE participations (
    pid       text   NOT NULL,
    event     text   NOT NULL,
    sector    text   NOT NULL,
    sector_id text   NOT NULL,
    in_at     bigint NOT NULL,
    out_at    bigint,
    points    bigint NOT NULL,
    PRIMARY KEY (pid, event)
);
CREATE INDEX participations_event ON participations (event, in_at);

-- Operators' top-ups and adjustments under ValueChange.Key (idempotent by it).
CREATE TABLE value_changes (
    key    text     PRIMARY KEY,
    id     text     NOT NULL,
    kind   smallint NOT NULL,   -- ValueChangeKind
    pid    text     NOT NULL,
    amount bigint   NOT NULL,
    at     bigint   NOT NULL,
    reason text,
    note   text
);
CREATE INDEX value_changes_person ON value_changes (pid, at);

CREATE TABLE devices (
    device         text   PRIMARY KEY,
    up_to          bigint NOT NULL,
    last_seen      bigint NOT NULL,
    events_applied bigint NOT NULL
);

-- The bounded quarantine (IIngestStore's header, docs/ingest.md "Quarantine"): records without their payloads,
-- the payloads apart, and counters the limits are checked against (never found by scanning records).
CREATE TABLE quarantine (
    id      bigserial PRIMARY KEY,
    kind    smallint NOT NULL,
    device  text     NOT NULL,
    topic   text     NOT NULL,
    code    text     NOT NULL,
    reason  text     NOT NULL,
    seq     bigint,
    at      bigint   NOT NULL,
    size    bigint   NOT NULL,
    sha256  text     NOT NULL,
    repeats bigint   NOT NULL,
    bytes   bigint   NOT NULL,
    UNIQUE NULLS NOT DISTINCT (device, code, sha256, seq)
);
CREATE INDEX quarantine_device ON quarantine (device, id);
CREATE INDEX quarantine_code ON quarantine (code, id);
CREATE INDEX quarantine_device_code ON quarantine (device, code, id);
CREATE INDEX quarantine_at ON quarantine (at);

CREATE TABLE quarantine_payload (
    id      bigint PRIMARY KEY REFERENCES quarantine ON DELETE CASCADE,
    payload bytea  NOT NULL
);

CREATE TABLE quarantine_total (
    one     boolean PRIMARY KEY CHECK (one),
    records bigint  NOT NULL,
    bytes   bigint  NOT NULL
);
INSERT INTO quarantine_total VALUES (true, 0, 0);

CREATE TABLE quarantine_usage (
    device  text   PRIMARY KEY,
    records bigint NOT NULL,
    bytes   bigint NOT NULL
);

CREATE TABLE quarantine_dropped (
    device text   NOT NULL,
    code   text   NOT NULL,
    count  bigint NOT NULL,
    PRIMARY KEY (device, code)
);

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Sector ID → PID of each person with facts (an operator's lookup by sector ID).
CREATE TABLE sectors (
    sector_id text PRIMARY KEY,
    pid       text NOT NULL
);

CREATE TABLE retained (
    topic   text  PRIMARY KEY,
    payload bytea NOT NULL
);
