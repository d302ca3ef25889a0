-- Sessions: one row per charging session; energy as integer Wh from the meter.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    evse_uid TEXT NOT NULL,
    token_uid TEXT,
    token_type TEXT,
    contract_id TEXT,
    auth_method TEXT NOT NULL,
    auth_reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'COMPLETED', 'INVALID')),
    start TEXT NOT NULL,
    end TEXT,
    meter_start_wh INTEGER NOT NULL,
    meter_last_wh INTEGER NOT NULL,
    meter_stop_wh INTEGER,
    stop_reason TEXT,
    last_updated TEXT NOT NULL
);
-- At most one active session per EVSE, enforced by the database itself.
CREATE UNIQUE INDEX sessions_one_active ON sessions (evse_uid) WHERE status = 'ACTIVE';
CREATE INDEX sessions_start ON sessions (start);

-- Outbox: one row per object that the uplink must deliver. A later change to the
-- same object folds into the same row (same key, version bumped), keeping its
-- place in the queue; the sender rebuilds the payload from the store.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    module TEXT NOT NULL,
    object_id TEXT NOT NULL,
    after_key TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    due TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    dead INTEGER NOT NULL DEFAULT 0
);

-- Last known status per EVSE (for the OCPI EVSE status and restarts).
CREATE TABLE evse_status (
    evse_uid TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    reason TEXT,
    updated TEXT NOT NULL
);
