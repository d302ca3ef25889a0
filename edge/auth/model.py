"""What the authorization service works with: cached tokens and remote answers.

The token cache holds OCPI 2.2.1 Token objects (see
:class:`edge.ocpi.Token`) as :class:`CachedToken`, a plain frozen
dataclass that is cheap to keep 10,000 of in memory. The real-time authorization
through the uplink is a port, :class:`RemoteAuthorizer`, which the OCPI uplink
implements; the service never imports the uplink's client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from edge.ocpi import AuthorizationInfo, Token
from edge.ocpi.enums import TokenType, WhitelistType
from edge.ocpi.tokens import EnergyContract


class TokenSource(StrEnum):
    """Who last wrote a cached token's OCPI fields."""

    SITE = "site"
    CLI = "cli"
    OCPI = "ocpi"


class UnknownOffline(StrEnum):
    """What to do with a card nobody knows while the eMSP cannot be asked."""

    DENY = "deny"
    ALLOW = "allow"


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

    @classmethod
    def from_ocpi(cls, token: Token, source: TokenSource) -> CachedToken:
        """Take an OCPI Token as the uplink received it."""
        energy = (
            None
            if token.energy_contract is None
            else json.dumps(token.energy_contract.model_dump_ocpi(), sort_keys=True)
        )
        return cls(
            country_code=token.country_code,
            party_id=token.party_id,
            uid=token.uid,
            type=TokenType(token.type),
            contract_id=token.contract_id,
            issuer=token.issuer,
            valid=token.valid,
            whitelist=WhitelistType(token.whitelist),
            last_updated=token.last_updated,
            visual_number=token.visual_number,
            group_id=token.group_id,
            language=token.language,
            default_profile_type=(
                None
                if token.default_profile_type is None
                else str(token.default_profile_type)
            ),
            energy_contract=energy,
            source=source,
        )

    def to_ocpi(self) -> Token:
        """The OCPI Token object (for the uplink's Receiver GET)."""
        energy = (
            None
            if self.energy_contract is None
            else EnergyContract.model_validate_json(self.energy_contract)
        )
        return Token.model_validate(
            {
                "country_code": self.country_code,
                "party_id": self.party_id,
                "uid": self.uid,
                "type": self.type,
                "contract_id": self.contract_id,
                "visual_number": self.visual_number,
                "issuer": self.issuer,
                "group_id": self.group_id,
                "valid": self.valid,
                "whitelist": self.whitelist,
                "language": self.language,
                "default_profile_type": self.default_profile_type,
                "energy_contract": energy,
                "last_updated": self.last_updated,
            }
        )


@dataclass(frozen=True)
class RemoteAnswer:
    """The eMSP's answer to a real-time authorization.

    ``info`` is the AuthorizationInfo it returned (HTTP 200, OCPI 1000), or None
    when the eMSP does not know the token (HTTP 404 or OCPI 2004).
    """

    info: AuthorizationInfo | None


class RemoteAuthorizer(Protocol):
    """Real-time authorization through the uplink (the OCPI Tokens POST).

    Implementations return None at once when they know they cannot ask (no
    connection, no eMSP for tokens); they may raise on errors, and they are
    cancelled when the service's timeout expires. In both cases the offline rules
    apply.
    """

    async def authorize_remote(
        self, uid: str, token_type: TokenType, evse_uid: str | None
    ) -> RemoteAnswer | None:
        """Ask the eMSP about ``uid`` (at ``evse_uid`` of this site, if known)."""
        ...
