"""One authorization service for every charger on the site.

This slice answers from the local token list (the site file's tokens). Each
decision carries its reason, which the session records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge.evse.events import AuthDecision


@dataclass(frozen=True)
class LocalToken:
    """The OCPI Token fields the local list keeps."""

    uid: str
    type: str = "RFID"
    contract_id: str | None = None
    visual_number: str | None = None
    issuer: str = "Local"
    group_id: str | None = None
    valid: bool = True
    whitelist: str = "ALWAYS"


class Authorizer:
    """Decides whether a token may start or stop charging."""

    def __init__(
        self, tokens: Iterable[LocalToken], unknown_offline: str = "deny"
    ) -> None:
        self._tokens = {t.uid.upper(): t for t in tokens}
        self._unknown_offline = unknown_offline

    async def authorize(self, uid: str) -> AuthDecision:
        """Decide about ``uid`` (upper-case hex); never raises."""
        key = uid.upper()
        token = self._tokens.get(key)
        if token is None:
            if self._unknown_offline == "allow":
                return AuthDecision(
                    key,
                    True,
                    "unknown token allowed by offline policy",
                    token_type="RFID",
                    method="WHITELIST",
                )
            return AuthDecision(key, False, "unknown token")
        if not token.valid:
            return AuthDecision(key, False, "token is blocked")
        if token.whitelist == "NEVER":
            return AuthDecision(
                key, False, "token needs real-time authorization (NEVER)"
            )
        return AuthDecision(
            key,
            True,
            "local list",
            token_type=token.type,
            contract_id=token.contract_id,
            group_id=token.group_id,
            method="WHITELIST",
        )
