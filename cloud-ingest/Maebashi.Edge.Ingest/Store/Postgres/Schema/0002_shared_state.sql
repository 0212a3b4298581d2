-- Schema version 2: the state several workers share that one process once kept in memory (Store/ISharedState.cs,
-- docs/ingest.md "Several workers"). The deny version and the card statuses stay in meta.

-- The newest version of each versioned retained topic (the deny list, each device's cfg) a worker had the broker take:
-- a publisher holds the topic's row (FOR UPDATE) while the broker acknowledges, so publishes of one topic never cross
-- and never go back to an older version.
CREATE TABLE retained_published (
    topic   text   PRIMARY KEY,
    version bigint NOT NULL
);

-- ASP.NET Data Protection's key ring (StoreXmlRepository): one XML element per key, added and never changed. The keys
-- protect the console's and My Page's cookies of every worker; they are secrets (never logged, never in an answer).
CREATE TABLE data_protection_keys (
    name text PRIMARY KEY,
    xml  text NOT NULL
);
