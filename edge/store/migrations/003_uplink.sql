-- Uplink delivery: claims with a lease, so that a sender killed mid-request
-- loses nothing (its claims expire and another sender retries them), and so that
-- two senders on one database (`edge run` and `edge sync now`) never send the
-- same object at once.
ALTER TABLE outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN last_attempt TEXT;
CREATE INDEX outbox_module ON outbox (module);
CREATE INDEX outbox_due ON outbox (dead, due);

-- What the OCPI receiver holds, per outbox key: whether it has the object (a PUT
-- or POST succeeded, so later changes go as PATCH), when we last sent it, and for
-- objects built from the site file (location, tariff) the digest and
-- last_updated of the version that was queued.
CREATE TABLE ocpi_objects (
    key TEXT PRIMARY KEY,
    created INTEGER NOT NULL DEFAULT 0,
    digest TEXT,
    last_updated TEXT,
    last_sent TEXT
);

-- Named cursors of the uplink (e.g. the date_from of the next token pull).
CREATE TABLE ocpi_cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
