"""Real-time authorization for the site's authorization service.

Adapts the uplink to :class:`edge.auth.model.RemoteAuthorizer`: None when it cannot
ask (not registered, no tokens endpoint), ``RemoteAnswer(None)`` when the eMSP does
not know the token, ``RemoteAnswer(info)`` otherwise; transport failures raise, and
the authorization service applies its offline rules.
"""

from __future__ import annotations

from edge.auth.model import RemoteAnswer
from edge.ocpi import LocationReferences, TokenType
from edge.uplink.ocpi.service import OcpiUplink


class RemoteTokens:
    """The OCPI uplink as the authorization service's remote."""

    def __init__(self, uplink: OcpiUplink) -> None:
        self.uplink = uplink

    async def authorize_remote(
        self, uid: str, token_type: TokenType, evse_uid: str | None
    ) -> RemoteAnswer | None:
        """POST ``tokens/{uid}/authorize`` with this site's location and EVSE."""
        if self.uplink.token_source() is None:
            return None
        where = LocationReferences(
            location_id=self.uplink.ctx.location_id,
            evse_uids=[evse_uid] if evse_uid else [],
        )
        timeout = self.uplink.clock.to_wall(self.uplink.auth_timeout_s)
        info = await self.uplink.puller.ask(uid, where, token_type.value, timeout)
        return RemoteAnswer(info)
