"""The site's tokens as the domain keeps them: cached OCPI Tokens and their kinds.

:class:`CachedToken` is one OCPI 2.2.1 Token as the token cache holds it, a
plain frozen dataclass that is cheap to keep 10,000 of in memory. The store
persists it, the authorization service decides from it, the uplink fills it;
the conversion from and to the OCPI object is :mod:`edge.auth.token_mapping`.
:class:`TokenType` and :class:`WhitelistType` are the OCPI enums, owned here so
that the domain needs nothing above it (``edge.ocpi`` imports them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TokenType(StrEnum):
    """Kind of token."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    """What the CPO may do without asking the eMSP."""

    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class TokenSource(StrEnum):
    """Who last wrote a cached token's OCPI fields."""

    SITE = "site"
    CLI = "cli"
    OCPI = "ocpi"


@dataclass(frozen=True)
class CachedToken:
    """One OCPI Token as the cache keeps it (CiStrings as received)."""

    country_code: str
    party_id: str
    uid: str
    type: TokenType
    contract_id: str
    issuer: str
    valid: bool
    whitelist: WhitelistType
    last_updated: datetime
    visual_number: str | None = None
    group_id: str | None = None
    language: str | None = None
    default_profile_type: str | None = None
    energy_contract: str | None = None
    """The OCPI EnergyContract object as JSON text, if the eMSP sent one."""
    source: TokenSource = TokenSource.OCPI

    @property
    def key(self) -> tuple[str, str]:
        """The index key: upper-case uid and type (uid is a CiString)."""
        return (self.uid.upper(), self.type.value)
