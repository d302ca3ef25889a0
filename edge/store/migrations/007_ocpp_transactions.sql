-- OCPP 1.6 transactions. The transactionId we answer StartTransaction with is
-- this table's id: AUTOINCREMENT never gives an id twice, across restarts and
-- deletions. A transaction the site bills has its session (sessions.id); one
-- it acknowledges without billing has none and says why (refused). A charger
-- repeating a StartTransaction (same connector, start time and meterStart)
-- gets the same id back: the UNIQUE constraint finds it.
CREATE TABLE ocpp_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    charger TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    evse_uid TEXT,
    id_tag TEXT NOT NULL,
    start TEXT NOT NULL,
    meter_start_wh INTEGER NOT NULL,
    session_id TEXT UNIQUE REFERENCES sessions (id),
    refused TEXT,
    meter_wh INTEGER NOT NULL,
    meter_at TEXT NOT NULL,
    stop TEXT,
    meter_stop_wh INTEGER,
    stop_reason TEXT,
    received TEXT NOT NULL,
    UNIQUE (charger, connector_id, start, meter_start_wh)
);

-- StopTransactions for a transaction we never issued (or no longer know):
-- acknowledged, never billed, kept with why; a repeat is kept once.
CREATE TABLE ocpp_orphan_stops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    charger TEXT NOT NULL,
    transaction_id INTEGER NOT NULL,
    id_tag TEXT,
    stop TEXT NOT NULL,
    meter_stop_wh INTEGER NOT NULL,
    stop_reason TEXT,
    why TEXT NOT NULL,
    received TEXT NOT NULL,
    UNIQUE (charger, transaction_id, stop, meter_stop_wh)
);
