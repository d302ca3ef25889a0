-- Token cache: the OCPI 2.2.1 Token objects this site knows, one row per
-- (country_code, party_id, uid, type) as OCPI keys them. CiString columns compare
-- case-insensitively (NOCASE), as the spec's CiString does.
-- source: who last wrote the OCPI fields ('site' file, 'cli', 'ocpi' uplink).
-- seed_hash: the site-file entry a 'site' row was last seeded from, so that an
-- unchanged site file does not undo changes made with `edge tokens`.
CREATE TABLE tokens (
    country_code TEXT NOT NULL COLLATE NOCASE,
    party_id TEXT NOT NULL COLLATE NOCASE,
    uid TEXT NOT NULL COLLATE NOCASE,
    type TEXT NOT NULL
        CHECK (type IN ('AD_HOC_USER', 'APP_USER', 'OTHER', 'RFID')),
    contract_id TEXT NOT NULL COLLATE NOCASE,
    visual_number TEXT,
    issuer TEXT NOT NULL,
    group_id TEXT COLLATE NOCASE,
    valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
    whitelist TEXT NOT NULL
        CHECK (whitelist IN ('ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE', 'NEVER')),
    language TEXT,
    default_profile_type TEXT,
    energy_contract TEXT,
    last_updated TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('site', 'cli', 'ocpi')),
    seed_hash TEXT,
    PRIMARY KEY (country_code, party_id, uid, type)
);
CREATE INDEX tokens_uid ON tokens (uid);
CREATE INDEX tokens_last_updated ON tokens (last_updated);

-- Cards the site operator refused (`edge tokens block`), by uid, whoever issued
-- them: kept apart from the eMSP's data, so that a later push cannot undo it.
CREATE TABLE token_blocks (
    uid TEXT PRIMARY KEY COLLATE NOCASE,
    blocked_at TEXT NOT NULL
);
