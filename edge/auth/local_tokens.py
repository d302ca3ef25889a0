"""Adding a token by hand: ``edge tokens add`` and ``POST /api/v1/tokens``.

A token added by hand is an OCPI Token like any other (validated as one), kept
in the token cache with source ``cli``, and wins over what the site file says
of the same uid. Adding the uid again replaces the hand-made token of that uid
and type, and keeps its owner (country code and party id); a new one is owned
by the site's own party (the site file's tokens'), or ``default_owner``. Runs on
the database thread (:meth:`edge.store.db.Database.run`); a pydantic
``ValidationError`` names what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge.auth.token_mapping import cached_from_ocpi
from edge.model.tokens import CachedToken, TokenSource
from edge.ocpi import Token
from edge.store import tokens as repo
from edge.store.db import StoreHandle


@dataclass(frozen=True)
class LocalToken:
    """What a person gives when adding a token."""

    uid: str
    type: str = "RFID"
    contract_id: str | None = None
    """Defaults to the uid."""
    visual_number: str | None = None
    issuer: str = "Local"
    group_id: str | None = None
    valid: bool = True
    whitelist: str = "ALWAYS"
    language: str | None = None
    country_code: str | None = None
    """The owner of a new token (default: the site's own party)."""
    party_id: str | None = None


def add_local_token(
    db: StoreHandle,
    token: LocalToken,
    now: datetime,
    default_owner: tuple[str, str],
) -> CachedToken:
    """Store ``token`` (replacing the hand-made one of its uid and type)."""
    mine = [
        t
        for t in repo.find(db, token.uid)
        if t.source is not TokenSource.OCPI and t.type.value == token.type
    ]
    site = repo.local_owner(db) or default_owner
    owner = (
        (mine[-1].country_code, mine[-1].party_id)
        if mine
        else (token.country_code or site[0], token.party_id or site[1])
    )
    ocpi = Token.model_validate(
        {
            "country_code": owner[0],
            "party_id": owner[1],
            "uid": token.uid,
            "type": token.type,
            "contract_id": token.contract_id or token.uid,
            "visual_number": token.visual_number,
            "issuer": token.issuer,
            "group_id": token.group_id,
            "valid": token.valid,
            "whitelist": token.whitelist,
            "language": token.language,
            "last_updated": now,
        }
    )
    row = cached_from_ocpi(ocpi, TokenSource.CLI)
    repo.upsert_tokens(db, [row], force=True)
    return row
