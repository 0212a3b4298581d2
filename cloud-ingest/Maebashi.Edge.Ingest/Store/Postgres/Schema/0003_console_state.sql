-- Schema version 4: the web's shared state (issue 14 item 2; Store/IConsoleStateStore.cs), so that every ingest worker's
-- console and My Page see every worker's changes. Instants are bigint UTC ticks, as in version 1.

-- The audit log: append-only, read newest first by a keyset on id (the whole log, one operator's, or a person's).
CREATE TABLE audit (
    id       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       bigint  NOT NULL,
    operator text    NOT NULL,
    scope    text    NOT NULL,
    method   text    NOT NULL,
    route    text    NOT NULL,
    status   integer NOT NULL,
    subjects text[]  NOT NULL
);
CREATE INDEX audit_operator ON audit (operator, id);
-- Whose data each record is about (a card token, a sector ID, a patient number): My Page's "who read my data".
CREATE TABLE audit_subjects (
    subject text   NOT NULL,
    id      bigint NOT NULL,
    PRIMARY KEY (subject, id)
);

-- The operators, as the operators file given to the last worker that started with one made them (docs/ingest.md).
CREATE TABLE operators (
    name          text PRIMARY KEY,
    scope         text NOT NULL,
    token         text UNIQUE,
    password_hash text
);

-- Failed sign-ins per account (realm 1: operators, 2: citizens): the last few failures and when the account locked.
CREATE TABLE signin_failures (
    realm     smallint NOT NULL,
    account   text     NOT NULL,
    failures  bigint[] NOT NULL,
    locked_at bigint,
    PRIMARY KEY (realm, account)
);

-- My Page accounts (one per person) and the enrollment codes pending (one per card, only the code's SHA-256).
CREATE TABLE citizens (
    login         text   PRIMARY KEY,
    password_hash text   NOT NULL,
    pid           text   NOT NULL UNIQUE,
    created_at    bigint NOT NULL
);
CREATE TABLE enrollment_codes (
    code_hash  text   PRIMARY KEY,
    token      text   NOT NULL UNIQUE,
    expires_at bigint NOT NULL
);
CREATE INDEX enrollment_codes_expiry ON enrollment_codes (expires_at);

-- The city's notices to citizens (at most CityNotices.MaxKept rows).
CREATE TABLE notices (
    id           bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         smallint NOT NULL,
    title        text     NOT NULL,
    body         text     NOT NULL,
    posted_at    bigint   NOT NULL,
    until        bigint,
    posted_by    text     NOT NULL,
    withdrawn_at bigint
);
