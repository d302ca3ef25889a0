-- Whether the EVSE board showed itself enabled while this session held it. For
-- boards that disable themselves once the EV leaves (EVSE-WB "disable EVSE
-- after charge"), a board found disabled after a restart while this is set means
-- that the session's EV left while the controller was down.
ALTER TABLE sessions ADD COLUMN board_enabled INTEGER NOT NULL DEFAULT 0;
-- The eMSP's authorization_reference (real-time authorize, START_SESSION or
-- RESERVE_NOW) for the OCPI Session and CDR, and the eMSP of a token that came
-- with a command (it need not be in the token cache).
ALTER TABLE sessions ADD COLUMN authorization_reference TEXT;
ALTER TABLE sessions ADD COLUMN token_country_code TEXT;
ALTER TABLE sessions ADD COLUMN token_party_id TEXT;

-- Reservations held by RESERVE_NOW, so that a restart keeps them: at most one
-- per EVSE; a row is deleted when it is used, canceled, expires or dropped.
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    evse_uid TEXT NOT NULL UNIQUE,
    token_uid TEXT NOT NULL,
    token_type TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    country_code TEXT NOT NULL,
    party_id TEXT NOT NULL,
    group_id TEXT,
    expiry TEXT NOT NULL,
    authorization_reference TEXT,
    created TEXT NOT NULL
);
