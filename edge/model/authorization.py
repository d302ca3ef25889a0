"""Authorization as every charger of the site sees it: the port and its decision.

One service (:class:`edge.auth.authorizer.Authorizer`) decides for every EVSE,
whatever drives it (a Modbus board, an OCPP charger): the EVSE side depends on
:class:`Authorization` only, never on the service itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from edge.model.tokens import TokenType


class Refusal(StrEnum):
    """Why a token was refused, as a kind (the decision's reason says more).

    A charger's protocol reports the kind (OCPP ``idTagInfo.status``).
    """

    BLOCKED = "BLOCKED"
    """Blocked by the site operator, or by its eMSP."""
    NOT_VALID = "NOT_VALID"
    """Known, but the token cache holds it as not valid."""
    EXPIRED = "EXPIRED"
    """Its eMSP says it has expired."""
    UNKNOWN = "UNKNOWN"
    """Neither the token cache nor the eMSP knows it."""
    NOT_ALLOWED = "NOT_ALLOWED"
    """Known, but not allowed here or now (no credit, another EVSE, no answer)."""


@dataclass(frozen=True)
class AuthDecision:
    """The authorization service's answer about one token."""

    uid: str
    accepted: bool
    reason: str
    token_type: str | None = None
    contract_id: str | None = None
    group_id: str | None = None
    method: str = "WHITELIST"
    authorization_reference: str | None = None
    """The eMSP's reference from real-time authorization, for the Session/CDR."""
    country_code: str | None = None
    party_id: str | None = None
    """The token's eMSP, when known (commands, real-time answers)."""
    refusal: Refusal | None = None
    """Why it was refused, as a kind (None: accepted, or not said)."""


class Authorization(Protocol):
    """Decides about a token shown at one of the site's EVSEs."""

    async def authorize(
        self,
        uid: str,
        token_type: TokenType = TokenType.RFID,
        evse_uid: str | None = None,
    ) -> AuthDecision:
        """Decide about ``uid`` (at ``evse_uid``); the decision's uid is upper-case.

        Never raises for an unknown or refused card: that is a refusal, with
        its reason.
        """
        ...
