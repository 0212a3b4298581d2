-- Version 8: the exports a later import replaced (their SHA-256). A worker that starts with one of them (a host whose
-- --registry file was not updated) keeps the store's newer registry instead of importing the old one over it for
-- every worker; `ingest registry import` still imports any file, a deliberate rollback included.
CREATE TABLE IF NOT EXISTS registry_replaced (
    sha256      text        PRIMARY KEY,
    replaced_at timestamptz NOT NULL
);
