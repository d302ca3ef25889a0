"""OCPI 2.2.1 Tokens module objects: Token and real-time authorization."""

from __future__ import annotations

from pydantic import Field

from edge.ocpi.common import (
    Bool,
    CiString2,
    CiString3,
    CiString36,
    DateTime,
    DisplayText,
    OcpiModel,
    String2,
    String64,
)
from edge.ocpi.enums import (
    AllowedType,
    ProfileType,
    TokenType,
    WhitelistType,
)


class EnergyContract(OcpiModel):
    """The driver's own energy supplier (for home-charging compensation)."""

    supplier_name: String64
    contract_id: String64 | None = None


class Token(OcpiModel):
    """A token issued by an eMSP; ``uid`` + ``type`` is unique per eMSP."""

    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: String64
    group_id: CiString36 | None = None
    valid: Bool
    whitelist: WhitelistType
    language: String2 | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class LocationReferences(OcpiModel):
    """Where a token is to be used (body of a real-time authorize)."""

    location_id: CiString36
    evse_uids: list[CiString36] = Field(default_factory=list)


class AuthorizationInfo(OcpiModel):
    """The eMSP's answer to a real-time authorize."""

    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None
