-- Charging periods: one row per period of a session, written when a period
-- begins or ends (events, not readings); the open period has end NULL and its
-- figures are refreshed at each checkpoint.
CREATE TABLE charging_periods (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq INTEGER NOT NULL,
    start TEXT NOT NULL,
    end TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('CHARGING', 'PARKING')),
    meter_start_wh INTEGER NOT NULL,
    energy_wh INTEGER,
    max_current_a REAL,
    min_current_a REAL,
    max_power_w REAL,
    min_power_w REAL,
    PRIMARY KEY (session_id, seq)
);

-- The card group of a session, so that a card of the same group can still stop
-- it after a restart.
ALTER TABLE sessions ADD COLUMN group_id TEXT;
