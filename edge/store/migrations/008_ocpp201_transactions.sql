-- OCPP 2.0.1 transactions: a station names its transaction itself (a string,
-- transactionId) and tells it in numbered events (seqNo). Each is mapped to
-- the row of ocpp_transactions that bills it (tx: NULL until an event carries
-- the idToken it is authorized for); every seqNo taken is kept, so that an
-- event repeated after a lost answer or a reconnect changes nothing.
CREATE TABLE ocpp201_transactions (
    charger TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    meter_start_wh INTEGER,
    tx INTEGER REFERENCES ocpp_transactions (id),
    received TEXT NOT NULL,
    PRIMARY KEY (charger, transaction_id)
);

CREATE TABLE ocpp201_events (
    charger TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    received TEXT NOT NULL,
    PRIMARY KEY (charger, transaction_id, seq_no)
);
