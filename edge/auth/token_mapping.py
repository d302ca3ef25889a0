"""Cached tokens to and from the OCPI Token object (pure functions)."""

from __future__ import annotations

import json

from edge.model.tokens import CachedToken, TokenSource, TokenType, WhitelistType
from edge.ocpi import Token
from edge.ocpi.tokens import EnergyContract


def cached_from_ocpi(token: Token, source: TokenSource) -> CachedToken:
    """The cache row for an OCPI Token as the uplink (or the CLI) received it."""
    energy = (
        None
        if token.energy_contract is None
        else json.dumps(token.energy_contract.model_dump_ocpi(), sort_keys=True)
    )
    return CachedToken(
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


def ocpi_from_cached(row: CachedToken) -> Token:
    """The OCPI Token object of a cache row (for the uplink's Receiver GET)."""
    energy = (
        None
        if row.energy_contract is None
        else EnergyContract.model_validate_json(row.energy_contract)
    )
    return Token.model_validate(
        {
            "country_code": row.country_code,
            "party_id": row.party_id,
            "uid": row.uid,
            "type": row.type,
            "contract_id": row.contract_id,
            "visual_number": row.visual_number,
            "issuer": row.issuer,
            "group_id": row.group_id,
            "valid": row.valid,
            "whitelist": row.whitelist,
            "language": row.language,
            "default_profile_type": row.default_profile_type,
            "energy_contract": energy,
            "last_updated": row.last_updated,
        }
    )
