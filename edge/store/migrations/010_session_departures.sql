-- A running session's own departure (local API or OCPI ChargingPreferences),
-- kept so that a restart or a power cut does not forget it. One row per open
-- session that has one: written only while its session is ACTIVE, deleted in
-- the transaction that stops the session (no row outlives its session).
CREATE TABLE session_departures (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    departure TEXT,  -- ISO 8601 UTC; NULL: as fast as the fuses allow (FAST)
    energy_wh INTEGER CHECK (energy_wh > 0),  -- NULL: the EVSE's energy_wh
    source TEXT NOT NULL CHECK (source IN ('api', 'ocpi')),
    updated TEXT NOT NULL
) WITHOUT ROWID;
