"""Token cache repository: OCPI Tokens in SQLite, newer ``last_updated`` wins.

These functions run on the database thread (see :class:`edge.store.db.Database`).
Every write is one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from edge.model.tokens import CachedToken, TokenSource, TokenType, WhitelistType
from edge.store.db import transaction
from edge.store.timefmt import iso, parse_iso

TOKEN_FIELDS = (  # every column, in table order
    "country_code",
    "party_id",
    "uid",
    "type",
    "contract_id",
    "visual_number",
    "issuer",
    "group_id",
    "valid",
    "whitelist",
    "language",
    "default_profile_type",
    "energy_contract",
    "last_updated",
    "source",
)
_COLUMNS = ", ".join(TOKEN_FIELDS)
_KEY = ("country_code", "party_id", "uid", "type")
_UPDATES = ", ".join(f"{f} = excluded.{f}" for f in TOKEN_FIELDS if f not in _KEY)
_UPSERT = (
    f"INSERT INTO tokens ({_COLUMNS}, seed_hash) "
    f"VALUES ({', '.join('?' * (len(TOKEN_FIELDS) + 1))}) "
    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {_UPDATES}, "
    "seed_hash = COALESCE(excluded.seed_hash, tokens.seed_hash)"
)
_NEWER = " WHERE excluded.last_updated > tokens.last_updated"
_CHUNK = 500


def _row(r: Sequence[Any]) -> CachedToken:
    values = dict(zip(TOKEN_FIELDS, r, strict=True))
    return CachedToken(
        country_code=str(values["country_code"]),
        party_id=str(values["party_id"]),
        uid=str(values["uid"]),
        type=TokenType(values["type"]),
        contract_id=str(values["contract_id"]),
        issuer=str(values["issuer"]),
        valid=bool(values["valid"]),
        whitelist=WhitelistType(values["whitelist"]),
        last_updated=parse_iso(str(values["last_updated"])),
        visual_number=values["visual_number"],
        group_id=values["group_id"],
        language=values["language"],
        default_profile_type=values["default_profile_type"],
        energy_contract=values["energy_contract"],
        source=TokenSource(values["source"]),
    )


def _params(t: CachedToken, seed_hash: str | None) -> tuple[object, ...]:
    return (
        t.country_code,
        t.party_id,
        t.uid,
        t.type.value,
        t.contract_id,
        t.visual_number,
        t.issuer,
        t.group_id,
        int(t.valid),
        t.whitelist.value,
        t.language,
        t.default_profile_type,
        t.energy_contract,
        iso(t.last_updated),
        t.source.value,
        seed_hash,
    )


@dataclass(frozen=True)
class UpsertResult:
    """How a batch went: rows written, rows skipped as not newer, rows now held."""

    applied: int
    skipped: int
    current: list[CachedToken] = field(default_factory=list)
    """Every cached row for the uids the batch touched (for the in-memory index)."""


def put(conn: sqlite3.Connection, token: CachedToken, *, force: bool = False) -> bool:
    """Write one token inside the caller's transaction; False if it was older."""
    sql = _UPSERT if force else _UPSERT + _NEWER
    return conn.execute(sql, _params(token, None)).rowcount > 0


def rows_for_uids(conn: sqlite3.Connection, uids: Iterable[str]) -> list[CachedToken]:
    """Every cached token whose uid is one of ``uids`` (case-insensitive)."""
    wanted = sorted({u.upper() for u in uids})
    found: list[CachedToken] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        found.extend(
            _row(r)
            for r in conn.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE uid IN ({marks}) "
                "ORDER BY last_updated",
                chunk,
            )
        )
    return found


def upsert_tokens(
    db: sqlite_utils.Database, tokens: Sequence[CachedToken], *, force: bool = False
) -> UpsertResult:
    """Write a batch in one transaction; an older copy never replaces a newer one.

    With ``force`` (the operator's own edits) the batch replaces what is cached.
    """
    with transaction(db) as conn:
        applied = sum(put(conn, t, force=force) for t in tokens)
        current = rows_for_uids(conn, (t.uid for t in tokens))
    return UpsertResult(applied, len(tokens) - applied, current)


def _upper(key: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(k).upper() for k in key)


@dataclass(frozen=True)
class SeedResult:
    """What seeding from the site file changed."""

    added: int
    updated: int
    removed: int


def seed_site_tokens(
    db: sqlite_utils.Database, tokens: Sequence[tuple[CachedToken, str]]
) -> SeedResult:
    """Make the cache hold the site file's tokens, each with its entry's hash.

    An entry is written when it is new or when the site file changed it since it
    was last seeded (its hash differs); an unchanged entry leaves the row alone,
    so changes made with ``edge tokens`` survive a restart. Rows seeded from the
    site file whose entry is gone are removed.
    """
    added = updated = 0
    with transaction(db) as conn:
        keep: set[tuple[str, ...]] = set()
        for token, seed_hash in tokens:
            key = (token.country_code, token.party_id, token.uid, token.type.value)
            keep.add(_upper(key))
            row = conn.execute(
                "SELECT seed_hash FROM tokens WHERE country_code = ? AND party_id = ? "
                "AND uid = ? AND type = ?",
                key,
            ).fetchone()
            if row is not None and row[0] == seed_hash:
                continue
            conn.execute(_UPSERT, _params(token, seed_hash))
            added += row is None
            updated += row is not None
        stale = [
            r
            for r in conn.execute(
                "SELECT country_code, party_id, uid, type FROM tokens "
                "WHERE source = 'site'"
            )
            if _upper(r) not in keep
        ]
        conn.executemany(
            "DELETE FROM tokens WHERE country_code = ? AND party_id = ? "
            "AND uid = ? AND type = ?",
            stale,
        )
    return SeedResult(added, updated, len(stale))


def load_all(db: sqlite_utils.Database) -> list[CachedToken]:
    """Every cached token, oldest update first."""
    return [
        _row(r)
        for r in db.conn.execute(
            f"SELECT {_COLUMNS} FROM tokens ORDER BY last_updated, rowid"
        )
    ]


def find(db: sqlite_utils.Database, uid: str) -> list[CachedToken]:
    """Every cached token with this uid (any issuer, any type)."""
    return rows_for_uids(db.conn, [uid])


def get(
    db: sqlite_utils.Database,
    country_code: str,
    party_id: str,
    uid: str,
    token_type: TokenType = TokenType.RFID,
) -> CachedToken | None:
    """One token by its OCPI key."""
    row = db.conn.execute(
        f"SELECT {_COLUMNS} FROM tokens WHERE country_code = ? AND party_id = ? "
        "AND uid = ? AND type = ?",
        (country_code, party_id, uid, token_type.value),
    ).fetchone()
    return None if row is None else _row(row)


def latest_update(
    db: sqlite_utils.Database, country_code: str, party_id: str
) -> datetime | None:
    """The newest ``last_updated`` cached from one eMSP (a pull's ``date_from``)."""
    row = db.conn.execute(
        "SELECT MAX(last_updated) FROM tokens WHERE country_code = ? AND party_id = ?",
        (country_code, party_id),
    ).fetchone()
    return None if row is None or row[0] is None else parse_iso(str(row[0]))


def blocked_uids(db: sqlite_utils.Database) -> set[str]:
    """Upper-case uids the site operator blocked."""
    return {str(r[0]).upper() for r in db.conn.execute("SELECT uid FROM token_blocks")}


def set_blocked(
    db: sqlite_utils.Database, uid: str, blocked: bool, now: datetime
) -> bool:
    """Block or unblock a uid; False if it already was in that state."""
    with transaction(db) as conn:
        if blocked:
            cur = conn.execute(
                "INSERT OR IGNORE INTO token_blocks (uid, blocked_at) VALUES (?, ?)",
                (uid.upper(), iso(now)),
            )
        else:
            cur = conn.execute("DELETE FROM token_blocks WHERE uid = ?", (uid,))
        return cur.rowcount > 0


def local_owner(db: sqlite_utils.Database) -> tuple[str, str] | None:
    """Country code and party id of the site's own tokens, if any are cached."""
    row = db.conn.execute(
        "SELECT country_code, party_id FROM tokens WHERE source IN ('site', 'cli') "
        "ORDER BY source DESC, last_updated DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


@dataclass(frozen=True)
class Snapshot:
    """Everything the in-memory index mirrors, read in one go."""

    data_version: int
    tokens: list[CachedToken]
    blocked: set[str]


def snapshot(db: sqlite_utils.Database) -> Snapshot:
    """The whole cache, the block list and the data_version they were read at."""
    return Snapshot(data_version(db), load_all(db), blocked_uids(db))


def data_version(db: sqlite_utils.Database) -> int:
    """SQLite's data_version: it changes when another connection commits."""
    return int(db.conn.execute("PRAGMA data_version").fetchone()[0])


def issuer(
    db: sqlite_utils.Database, uid: str, token_type: str
) -> tuple[str, str, str | None] | None:
    """Who issued a cached token: (country code, party id, contract id), or None.

    A token pulled from the eMSP wins over a site-file one with the same uid.
    """
    try:
        row = db.conn.execute(
            "SELECT country_code, party_id, contract_id FROM tokens "
            "WHERE uid = ? AND type = ? ORDER BY source = 'ocpi' DESC LIMIT 1",
            (uid, token_type),
        ).fetchone()
    except sqlite3.OperationalError:  # no token cache in this store
        return None
    if row is None:
        return None
    return str(row[0]), str(row[1]), None if row[2] is None else str(row[2])
