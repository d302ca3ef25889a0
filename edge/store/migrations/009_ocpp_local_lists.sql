-- What each OCPP charger's local authorization list holds, as far as we know:
-- the version it last accepted from us and its entries (idTag -> status), so
-- that a restart neither reuses a version number nor needs a Full list when
-- the charger still holds what we sent (GetLocalListVersion says so).
CREATE TABLE ocpp_local_lists (
    identity TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE ocpp_local_list_entries (
    identity TEXT NOT NULL REFERENCES ocpp_local_lists (identity) ON DELETE CASCADE,
    id_tag TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (identity, id_tag)
) WITHOUT ROWID;
