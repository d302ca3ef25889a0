"""Real-time authorization through the uplink: the port and its answer.

The OCPI uplink implements :class:`RemoteAuthorizer`; the authorization service
never imports the uplink's client. :class:`UnknownOffline` is the site's policy
for a card nobody knows while the eMSP cannot be asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from edge.model.tokens import TokenType
from edge.ocpi import AuthorizationInfo


class UnknownOffline(StrEnum):
    """What to do with a card nobody knows while the eMSP cannot be asked."""

    DENY = "deny"
    ALLOW = "allow"


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
