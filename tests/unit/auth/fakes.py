"""Test doubles and builders for the authorization service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edge.auth.remote import RemoteAnswer
from edge.ocpi import AuthorizationInfo, Token
from edge.ocpi.enums import TokenType

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def ocpi_token(uid: str = "AA11BB22", **fields: Any) -> Token:
    """An OCPI Token from eMSP DE*TNM with sensible defaults."""
    data: dict[str, Any] = {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-TNM-{uid}",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T12:00:00Z",
    }
    data.update(fields)
    return Token.model_validate(data)


@dataclass
class FakeRemote:
    """A scripted eMSP: ``outcome`` is ALLOWED/BLOCKED/..., unknown, offline,
    timeout or error."""

    outcome: str = "ALLOWED"
    token_fields: dict[str, Any] = field(default_factory=dict)
    evse_uids: list[str] | None = None
    calls: list[tuple[str, TokenType, str | None]] = field(default_factory=list)

    async def authorize_remote(
        self, uid: str, token_type: TokenType, evse_uid: str | None
    ) -> RemoteAnswer | None:
        self.calls.append((uid, token_type, evse_uid))
        if self.outcome == "timeout":
            await asyncio.sleep(30)
        if self.outcome == "error":
            raise ConnectionError("connection reset by peer")
        if self.outcome == "offline":
            return None
        if self.outcome == "unknown":
            return RemoteAnswer(None)
        info: dict[str, Any] = {
            "allowed": self.outcome,
            "token": ocpi_token(uid, **self.token_fields).model_dump_ocpi(),
            "authorization_reference": "REF-1",
        }
        if self.evse_uids is not None:
            info["location"] = {"location_id": "LOC1", "evse_uids": self.evse_uids}
        return RemoteAnswer(AuthorizationInfo.model_validate(info))
